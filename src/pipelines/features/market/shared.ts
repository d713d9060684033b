import { z } from 'zod';
import type { Batch } from '../../data/batch.js';
import type { Column } from '../../data/column.js';
import { parseDuration } from '../../data/duration.js';

/**
 * Pieces shared by the market-data definitions: parameter schemas (durations written as `1m` or as
 * milliseconds), and column readers that hand hot loops a typed array plus a validity bitmap.
 */

/** A duration param: `500ms`, `1m`, `1h30m` (or a number of milliseconds). Parses to milliseconds. */
export function durationParam(what: string, opts: { positive?: boolean } = { positive: true }) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      let ms: number;
      if (typeof v === 'number') ms = v;
      else {
        try {
          ms = parseDuration(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }
      if (!Number.isFinite(ms) || ms < 0 || (opts.positive !== false && ms === 0)) {
        ctx.addIssue({ code: 'custom', message: `${what} must be a ${opts.positive !== false ? 'positive' : 'non-negative'} duration, such as 1m` });
        return z.NEVER;
      }
      return ms;
    });
}

/** A value a column is compared with (`side == 'buy'`): text for string columns, true/false for bool, a number for numeric ones. */
export const matchValue = z.union([z.string(), z.number(), z.boolean()]);

/** A numeric column as a hot loop sees it. */
export interface NumericView {
  readonly values: ArrayLike<number>;
  readonly validity: Uint8Array | undefined;
}

/** The column `name` of `b` as numbers; throws when it is missing or categorical. */
export function numericColumn(b: Batch, name: string): NumericView {
  const c = b.columns[name];
  if (c === undefined) throw new Error(`column "${name}" is not in the batch`);
  if (c.type === 'dictionary') throw new Error(`column "${name}" is categorical; a number is needed here`);
  return { values: c.values, validity: c.validity };
}

/** Is row `i` of a column valid (not null)? */
export function valid(validity: Uint8Array | undefined, i: number): boolean {
  return validity === undefined || ((validity[i >> 3]! >> (i & 7)) & 1) === 1;
}

/**
 * Per row: 1 when column `name` equals `value`, 0 when it does not, 255 when it is null. A string
 * column is compared through its dictionary code (looked up once per batch, never hashed per row).
 */
export function matchColumn(b: Batch, name: string, value: string | number | boolean): Uint8Array {
  const c: Column | undefined = b.columns[name];
  if (c === undefined) throw new Error(`column "${name}" is not in the batch`);
  const out = new Uint8Array(b.length);
  if (c.type === 'dictionary') {
    const code = c.dictionary.lookup(typeof value === 'boolean' ? String(value) : value);
    const codes = c.codes;
    for (let i = 0; i < b.length; i++) out[i] = codes[i] === code ? 1 : 0;
  } else {
    const target = typeof value === 'boolean' ? (value ? 1 : 0) : typeof value === 'number' ? value : value === 'true' ? 1 : value === 'false' ? 0 : Number(value);
    const vs = c.values;
    for (let i = 0; i < b.length; i++) out[i] = vs[i] === target ? 1 : 0;
  }
  if (c.validity !== undefined) for (let i = 0; i < b.length; i++) if (!valid(c.validity, i)) out[i] = 255;
  return out;
}

/** Grow a Float64Array to at least `n` slots (doubling), filling new slots with `fill`. */
export function growFloat(a: Float64Array, n: number, fill = 0): Float64Array {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function growInt(a: Int32Array, n: number, fill = 0): Int32Array {
  if (n <= a.length) return a;
  const b = new Int32Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** A float64 output column; NaN marks null. */
export function outputColumn(values: Float64Array): Column {
  let validity: Uint8Array | undefined;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== values[i]) {
      validity ??= new Uint8Array((values.length + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
    }
  }
  return validity === undefined ? { type: 'float64', values } : { type: 'float64', values, validity };
}
