/**
 * Watermarks as pure functions. A source's watermark is the largest event time seen minus its
 * allowed lateness: no event older than it is still expected. Results that depend only on events
 * before the watermark are final and may be emitted.
 */

export interface WatermarkState {
  /** Largest event time seen; -Infinity before any. */
  maxTime: number;
  lateness: number;
}

export function initialWatermark(lateness: number): WatermarkState {
  return { maxTime: -Infinity, lateness };
}

export function watermarkOf(s: WatermarkState): number {
  return s.maxTime - s.lateness;
}

/** The state after seeing `times`. */
export function observe(s: WatermarkState, times: ArrayLike<number>): WatermarkState {
  let max = s.maxTime;
  for (let i = 0; i < times.length; i++) if (times[i]! > max) max = times[i]!;
  return max === s.maxTime ? s : { ...s, maxTime: max };
}

/**
 * An idle source must not hold windows open forever: after `idleMs` of wall-clock time without
 * events, the watermark moves as if event time had advanced as much as the clock. Returns the
 * watermark to announce, or undefined when nothing changes.
 */
export function idleAdvance(s: WatermarkState, lastEventWallMs: number, nowWallMs: number, idleMs: number): number | undefined {
  if (s.maxTime === -Infinity || nowWallMs - lastEventWallMs < idleMs) return undefined;
  return s.maxTime + (nowWallMs - lastEventWallMs) - s.lateness;
}
