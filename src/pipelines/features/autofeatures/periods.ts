/**
 * Period arithmetic for the autofeatures: whole periods numbered from the Unix epoch. Days and weeks
 * are fixed widths aligned to the epoch plus an offset (the epoch began on a Thursday: an offset of 4
 * days makes weeks run Monday to Monday). Months are calendar months of UTC dates, shifted by the
 * offset: period i is [UTC month start + offset, next UTC month start + offset).
 */

export type Period = 'day' | 'week' | 'month';

const DAY = 86_400_000;

export class PeriodGrid {
  private readonly width: number;
  /** Month lookups: the last month found, so a run of events in one month needs no Date. */
  private cachedStart = Infinity;
  private cachedEnd = -Infinity;
  private cachedIndex = 0;

  constructor(
    readonly period: Period,
    readonly offset: number,
  ) {
    this.width = period === 'day' ? DAY : period === 'week' ? 7 * DAY : 0;
  }

  /** The number of the period holding time `t`. */
  index(t: number): number {
    if (this.width > 0) return Math.floor((t - this.offset) / this.width);
    if (t >= this.cachedStart && t < this.cachedEnd) return this.cachedIndex;
    const d = new Date(t - this.offset);
    const i = d.getUTCFullYear() * 12 + d.getUTCMonth();
    this.cachedIndex = i;
    this.cachedStart = this.start(i);
    this.cachedEnd = this.start(i + 1);
    return i;
  }

  /** Start of period `i`, epoch ms. */
  start(i: number): number {
    if (this.width > 0) return i * this.width + this.offset;
    const y = Math.floor(i / 12);
    const d = new Date(0);
    d.setUTCFullYear(y, i - y * 12, 1);
    return d.getTime() + this.offset;
  }
}
