import type { Batch } from '../../../src/pipelines/data/batch.js';
import type { Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';

/** A value of a test row: strings become dictionary columns, numbers float64, null a null. */
export type Cell = string | number | null;

/**
 * A batch from rows given as plain objects, for tests. Each string column gets its own Dictionary,
 * filled in `order` when given (so two batches of the same keys get different codes, as two files do).
 */
export function batchOf(time: readonly number[], columns: Record<string, readonly Cell[]>, order?: readonly string[]): Batch {
  const n = time.length;
  const out: Record<string, Column> = {};
  for (const [name, cells] of Object.entries(columns)) {
    const isString = cells.some((c) => typeof c === 'string');
    let validity: Uint8Array | undefined;
    const clear = (i: number) => {
      validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
    };
    if (isString) {
      const dict = new Dictionary(order ?? []);
      const codes = new Int32Array(n);
      cells.forEach((c, i) => (c === null ? clear(i) : (codes[i] = dict.encode(c as string))));
      out[name] = validity ? { type: 'dictionary', codes, dictionary: dict, validity } : { type: 'dictionary', codes, dictionary: dict };
    } else {
      const values = new Float64Array(n);
      cells.forEach((c, i) => {
        if (c === null) {
          clear(i);
          values[i] = NaN;
        } else values[i] = c as number;
      });
      out[name] = validity ? { type: 'float64', values, validity } : { type: 'float64', values };
    }
  }
  return { length: n, time: Float64Array.from(time), columns: out };
}

/** Compile config text with the built-in definitions. */
export function compileText(text: string, dataDir = '/nonexistent'): CompiledFeatureSet {
  const config = parseConfig(text, { dir: dataDir, dataDir });
  return compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
}

/** Value of row `i` of a float64 column of an Arrow table as a number, or null. */
export function numberAt(v: { get(i: number): unknown } | null, i: number): number | null {
  const x = v!.get(i);
  return x === null || x === undefined ? null : Number(x);
}
