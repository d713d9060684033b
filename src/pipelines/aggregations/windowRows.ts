import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import type { KeySpace } from '../data/keySpace.js';
import type { OpName } from './catalog.js';
import type { Accumulator } from './accumulator.js';

export interface WindowOutputSpec {
  column: string;
  op: OpName;
  default?: number;
}

/**
 * Collects the rows of closed windows (one per window and key) and turns them into a batch:
 * the key columns, `window_start`, the results, and the window end as the row's time.
 */
export class WindowRows {
  private keys: number[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private values: (number | null)[][];

  constructor(private readonly outputs: readonly WindowOutputSpec[]) {
    this.values = outputs.map(() => []);
  }

  add(key: number, start: number, end: number, acc: Accumulator): void {
    this.keys.push(key);
    this.starts.push(start);
    this.ends.push(end);
    this.outputs.forEach((o, i) => {
      const v = acc.count === 0 && o.default !== undefined ? o.default : acc.result(o.op);
      this.values[i]!.push(v);
    });
  }

  get length(): number {
    return this.keys.length;
  }

  /** The rows gathered so far as a batch (and start afresh). */
  take(keySpace: KeySpace | undefined, watermark: number): Batch {
    const n = this.keys.length;
    const columns: Record<string, Column> = {};
    if (keySpace !== undefined) Object.assign(columns, keySpace.decode(Int32Array.from(this.keys)));
    columns.window_start = { type: 'timestamp', values: Float64Array.from(this.starts) };
    this.outputs.forEach((o, i) => {
      const vals = this.values[i]!;
      const values = new Float64Array(n);
      let validity: Uint8Array | undefined;
      for (let r = 0; r < n; r++) {
        const v = vals[r]!;
        if (v === null) {
          validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
          validity[r >> 3]! &= ~(1 << (r & 7));
          values[r] = NaN;
        } else values[r] = v;
      }
      columns[o.column] = validity ? { type: 'float64', values, validity } : { type: 'float64', values };
    });
    const batch: Batch = { length: n, time: Float64Array.from(this.ends), columns, watermark };
    this.keys = [];
    this.starts = [];
    this.ends = [];
    this.values = this.outputs.map(() => []);
    return batch;
  }
}
