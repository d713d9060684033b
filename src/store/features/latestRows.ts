/**
 * The online view of one key group: for each key code, the row holding its latest values and that
 * row's time. Updated on every append in O(1) per row; a fetch then reads the feature columns at that
 * row, so the latest vector is never copied out of the table.
 *
 * Latest means the largest time; among rows with equal times, the last appended (for events tables
 * these carry the same point-in-time values anyway: windows are half-open).
 *
 * @example
 * const view = new LatestRows();
 * view.update(codes, times, kept, count, firstRow);
 * view.row(code); // row index, or -1 when the key has no row
 */
export class LatestRows {
  private rows = new Int32Array(64).fill(-1);
  private times = new Float64Array(64).fill(-Infinity);

  /**
   * Rows `kept[0..count)` of a batch were stored at rows `firstRow`, `firstRow + 1`, ...;
   * `codes[kept[j]]` is the key code of each, `times[kept[j]]` its time.
   */
  update(codes: Int32Array, times: Float64Array, kept: Int32Array, count: number, firstRow: number): void {
    for (let j = 0; j < count; j++) {
      const i = kept[j]!;
      const code = codes[i]!;
      if (code < 0) continue;
      if (code >= this.rows.length) this.grow(code + 1);
      const t = times[i]!;
      if (t >= this.times[code]!) {
        this.times[code] = t;
        this.rows[code] = firstRow + j;
      }
    }
  }

  /** The latest row of `code`, or -1. */
  row(code: number): number {
    return code >= 0 && code < this.rows.length ? this.rows[code]! : -1;
  }

  /** The time of the latest row of `code`, or -Infinity. */
  time(code: number): number {
    return code >= 0 && code < this.times.length ? this.times[code]! : -Infinity;
  }

  private grow(need: number): void {
    const size = Math.max(need, this.rows.length * 2);
    const rows = new Int32Array(size).fill(-1);
    rows.set(this.rows);
    const times = new Float64Array(size).fill(-Infinity);
    times.set(this.times);
    this.rows = rows;
    this.times = times;
  }
}
