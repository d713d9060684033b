/**
 * Idempotent appends: which incoming rows the table already holds.
 *
 * The rule (documented in ./README.md):
 * - An **events** row is identified by (table, row key, time, ordinal), the ordinal being its
 *   position among the rows with the same key and time, counted from the first row of a *delivery*.
 *   A row is new when its time is later than the key's latest stored time, or equal to it with an
 *   ordinal at or past the number of rows stored at that time. Anything earlier is already held.
 * - A **window** row is identified by (table, row key, window_start): it is new when its
 *   window_start is later than the key's latest stored one.
 *
 * A delivery is one producer's run of appends: a replay, a live run, or a live run resumed after a
 * recovery. `FeatureStore.open` starts one, and `beginDelivery` starts another. Within a delivery,
 * ordinals keep counting across batches, so a group of equal-time rows split between two batches is
 * not mistaken for a repeat. A delivery also restarts its count for a key when that key's time goes
 * backwards (the producer is re-sending earlier rows).
 *
 * Why this rule is enough: Tributary's outputs come out in time order per key (events tables are
 * sorted by `reorder`; windows close in order of their end, and one key's windows in order of their
 * start), and the store appends and persists in arrival order, so what a table holds of one key is
 * always a prefix of what the producer emits for it. A recovery re-emits a suffix of that output,
 * which the rule trims back to what is new, provided it resumes at a time boundary (not inside a
 * group of equal-time rows of one key, whose first re-sent rows would be taken for the group's
 * start). A producer that emitted one key's rows out of time order would see the stragglers counted
 * as duplicates (reported, never silent).
 *
 * Everything is typed arrays indexed by row-key code (plus one slot for rows with a null key): no
 * per-row objects, no hashing here.
 */
export class RowIdentity {
  /** Per key: the latest stored time (events) or window_start (windows). */
  private latest = new Float64Array(0).fill(-Infinity);
  /** Per key (events): rows stored at `latest`. */
  private latestCount = new Int32Array(0);
  /** Per key (events), this delivery: the time of its last row, and how many rows it sent at that time. */
  private deliveryTime = new Float64Array(0);
  private deliveryCount = new Int32Array(0);

  constructor(readonly kind: 'events' | 'windows') {}

  /** Start a new delivery: ordinals count from zero again. */
  beginDelivery(): void {
    this.deliveryTime.fill(NaN);
    this.deliveryCount.fill(0);
  }

  /**
   * Decide rows `[0, n)`: returns the indices of the new ones, in order, and records them as stored.
   * `codes[i]` is row i's key code (-1 for a null key), `at[i]` its time (events) or window_start (windows).
   */
  admit(codes: Int32Array, at: Float64Array, n: number): { kept: Int32Array; count: number } {
    this.ensure(codes, n);
    const kept = new Int32Array(n);
    let count = 0;
    const latest = this.latest;
    if (this.kind === 'windows') {
      for (let i = 0; i < n; i++) {
        const s = codes[i]! + 1;
        const t = at[i]!;
        if (t > latest[s]!) {
          latest[s] = t;
          kept[count++] = i;
        }
      }
      return { kept, count };
    }
    const latestCount = this.latestCount;
    const dTime = this.deliveryTime;
    const dCount = this.deliveryCount;
    for (let i = 0; i < n; i++) {
      const s = codes[i]! + 1;
      const t = at[i]!;
      if (t !== dTime[s]) {
        dTime[s] = t;
        dCount[s] = 0;
      }
      const ordinal = dCount[s]!++;
      if (t > latest[s]!) {
        latest[s] = t;
        latestCount[s] = 1;
        kept[count++] = i;
      } else if (t === latest[s] && ordinal >= latestCount[s]!) {
        latestCount[s]!++;
        kept[count++] = i;
      }
    }
    return { kept, count };
  }

  /** Record rows known to be stored (when a table is loaded from disk), without deciding anything. */
  observe(codes: Int32Array, at: Float64Array, n: number): void {
    this.ensure(codes, n);
    for (let i = 0; i < n; i++) {
      const s = codes[i]! + 1;
      const t = at[i]!;
      if (t > this.latest[s]!) {
        this.latest[s] = t;
        this.latestCount[s] = 1;
      } else if (t === this.latest[s]) this.latestCount[s]!++;
    }
  }

  /** Grow the per-key arrays to cover every code in `codes`. */
  private ensure(codes: Int32Array, n: number): void {
    let max = -1;
    for (let i = 0; i < n; i++) if (codes[i]! > max) max = codes[i]!;
    const need = max + 2;
    if (need <= this.latest.length) return;
    const size = Math.max(need, this.latest.length * 2, 64);
    const grow = <T extends Float64Array | Int32Array>(old: T, fill: number): T => {
      const next = new (old.constructor as new (n: number) => T)(size).fill(fill) as T;
      next.set(old as never);
      return next;
    };
    this.latest = grow(this.latest, -Infinity);
    this.latestCount = grow(this.latestCount, 0);
    this.deliveryTime = grow(this.deliveryTime, NaN);
    this.deliveryCount = grow(this.deliveryCount, 0);
  }
}
