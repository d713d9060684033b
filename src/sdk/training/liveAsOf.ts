import type { Batch } from '../../pipelines/data/batch.js';
import type { NumberColumn } from '../../pipelines/data/column.js';
import { LiveKeySpace } from './liveKeys.js';

/**
 * The rows of one feature table seen so far in a live run, indexed for as-of lookups by key: the
 * streaming side of the labelers' `asOfJoin`, with the same answer. For a spine row (key k, time t)
 * it returns the values of the table row of key k with the latest time **strictly before** t (ties:
 * the last one added), or null when there is none or it is older than the tolerance
 * (`t - t_row > tolerance`). Bools are 0/1; a null value stays null.
 *
 * Storage is columnar: growing typed arrays of time, key code, per-column values and validity, and
 * per row a link to the previous row of its key in time order; per key the newest row. Rows arrive
 * in time order per table, so adding is O(1); a row out of order is linked in at its place. A lookup
 * walks back from the newest row of its key past rows at or after t (usually none).
 *
 * `compact(floor)` drops what no spine row at or after `floor` can read: per key every row older
 * than its newest row before `floor`.
 *
 * @example
 * const logins = new AsOfIndex(['user_id'], ['failed_logins_1d']);
 * logins.add(loginsBatch);
 * const [failed] = logins.lookup(transactionsBatch, 30 * 86_400_000);
 */
export class AsOfIndex {
  readonly keys: LiveKeySpace;
  private n = 0;
  private time = new Float64Array(1024);
  private key = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private values: Float64Array[];
  private valid: Uint8Array[];
  private head = new Int32Array(1024).fill(-1);

  constructor(
    keyColumns: readonly string[],
    readonly columns: readonly string[],
  ) {
    this.keys = new LiveKeySpace(keyColumns);
    this.values = columns.map(() => new Float64Array(1024));
    this.valid = columns.map(() => new Uint8Array(1024));
  }

  /** Rows held now. */
  get rows(): number {
    return this.n;
  }

  /**
   * Add a table batch's rows.
   * @throws Error when the batch lacks a key or value column, or a value column holds strings
   */
  add(b: Batch, what = 'table'): void {
    if (b.length === 0) return;
    const codes = this.keys.codes(b, what);
    const cols = this.columns.map((name) => {
      const c = b.columns[name];
      if (c === undefined) throw new Error(`the ${what} has no column "${name}"`);
      if (c.type === 'dictionary') throw new Error(`feature "${name}" is a string column; features are numbers`);
      return c;
    });
    this.reserve(this.n + b.length);
    this.growKeys(this.keys.size);
    for (let i = 0; i < b.length; i++) {
      const k = codes[i]!;
      if (k < 0) continue; // a null key matches no spine row
      const r = this.n++;
      const t = b.time[i]!;
      this.time[r] = t;
      this.key[r] = k;
      for (let c = 0; c < cols.length; c++) {
        const col = cols[c]!;
        const v = col.validity;
        this.values[c]![r] = col.values[i]!;
        this.valid[c]![r] = v === undefined || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 1 : 0;
      }
      this.link(r, k, t);
    }
  }

  /** Put row r into key k's chain, after every row of k with time <= t (ties: last added wins). */
  private link(r: number, k: number, t: number): void {
    let after = -1;
    let x = this.head[k]!;
    while (x >= 0 && this.time[x]! > t) {
      after = x;
      x = this.prev[x]!;
    }
    this.prev[r] = x;
    if (after < 0) this.head[k] = r;
    else this.prev[after] = r;
  }

  /**
   * For each row of `spine` (its key columns and time), the columns' values as of its time, strictly
   * before it, within `tolerance` ms.
   */
  lookup(spine: Batch, tolerance = Infinity, what = 'spine'): NumberColumn[] {
    const m = spine.length;
    const codes = this.keys.codes(spine, what);
    this.growKeys(this.keys.size);
    const outs = this.columns.map(() => new Float64Array(m));
    const validity = this.columns.map(() => new Uint8Array((m + 7) >> 3));
    const nulls = new Uint8Array(this.columns.length);
    for (let i = 0; i < m; i++) {
      const k = codes[i]!;
      const t = spine.time[i]!;
      let x = k >= 0 ? this.head[k]! : -1;
      while (x >= 0 && this.time[x]! >= t) x = this.prev[x]!;
      const found = x >= 0 && t - this.time[x]! <= tolerance;
      for (let c = 0; c < outs.length; c++) {
        if (found && this.valid[c]![x] === 1) {
          outs[c]![i] = this.values[c]![x]!;
          validity[c]![i >> 3]! |= 1 << (i & 7);
        } else {
          outs[c]![i] = NaN;
          nulls[c] = 1;
        }
      }
    }
    return outs.map((values, c) => (nulls[c] === 1 ? { type: 'float64', values, validity: validity[c]! } : { type: 'float64', values }));
  }

  /**
   * Forget rows no spine row at or after `floor` can read: per key, every row older than its newest
   * row before `floor`. Rows keep their order per key.
   */
  compact(floor: number): void {
    const keep = new Uint8Array(this.n);
    let kept = 0;
    for (let k = 0; k < this.head.length; k++) {
      let x = this.head[k]!;
      while (x >= 0) {
        keep[x] = 1;
        kept++;
        if (this.time[x]! < floor) break; // the newest row before the floor: the last one needed
        x = this.prev[x]!;
      }
    }
    if (kept === this.n) return;
    // Renumber the kept rows in their current order; chains keep their order.
    const to = new Int32Array(this.n).fill(-1);
    let r = 0;
    for (let x = 0; x < this.n; x++) if (keep[x] === 1) to[x] = r++;
    for (let x = 0; x < this.n; x++) {
      const y = to[x]!;
      if (y < 0) continue;
      this.time[y] = this.time[x]!;
      this.key[y] = this.key[x]!;
      const p = this.prev[x]!;
      this.prev[y] = p >= 0 && keep[p] === 1 ? to[p]! : -1;
      for (let c = 0; c < this.values.length; c++) {
        this.values[c]![y] = this.values[c]![x]!;
        this.valid[c]![y] = this.valid[c]![x]!;
      }
    }
    for (let k = 0; k < this.head.length; k++) if (this.head[k]! >= 0) this.head[k] = to[this.head[k]!]!;
    this.n = r;
  }

  private reserve(rows: number): void {
    if (rows <= this.time.length) return;
    let cap = this.time.length;
    while (cap < rows) cap *= 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.time = grow(this.time);
    this.key = grow(this.key);
    this.prev = grow(this.prev);
    this.values = this.values.map(grow);
    this.valid = this.valid.map(grow);
  }

  private growKeys(size: number): void {
    if (size <= this.head.length) return;
    let cap = this.head.length;
    while (cap < size) cap *= 2;
    const head = new Int32Array(cap).fill(-1);
    head.set(this.head);
    this.head = head;
  }
}
