import { bucketStart } from '../../pipelines/windows/align.js';
import type { LabelConfig } from '../../sdk/config/types.js';

/**
 * Each row's label window `(from, to]`: it starts strictly after the row's time, so it never sees the
 * row's own events. Read-only: `from` may be the very array of row times.
 */
export interface LabelWindows {
  from: Float64Array;
  to: Float64Array;
}

/**
 * The label window of each row time, as LabelConfig defines it:
 * - `lookahead` and `event_within`: `(t, t + horizon]`;
 * - `next_period`: `(e, e + periods × period]`, `e` being the end of the period holding t (t itself
 *   when t is on a period edge, as a tumbling window's end is), periods aligned to the epoch plus
 *   `offset`.
 *
 * @example
 * labelWindows({ kind: 'lookahead', horizon: 5000, ... }, Float64Array.of(1000)); // from [1000], to [6000]
 * labelWindows({ kind: 'next_period', period: 7 * DAY, periods: 1, offset: 4 * DAY, ... }, weekEnds);
 */
export function labelWindows(label: Pick<LabelConfig, 'kind' | 'horizon' | 'period' | 'periods' | 'offset'>, time: Float64Array): LabelWindows {
  const n = time.length;
  const to = new Float64Array(n);
  if (label.kind === 'next_period') {
    const from = new Float64Array(n);
    const period = label.period!;
    const span = period * label.periods;
    for (let i = 0; i < n; i++) {
      const t = time[i]!;
      const s = bucketStart(t, period, label.offset);
      const e = s === t ? t : s + period;
      from[i] = e;
      to[i] = e + span;
    }
    return { from, to };
  }
  // The window starts at the row's time itself: share the array rather than copy it.
  const h = label.horizon!;
  for (let i = 0; i < n; i++) to[i] = time[i]! + h;
  return { from: time, to };
}
