import { idleAdvance, type WatermarkState } from '../../pipelines/windows/watermark.js';

/**
 * The clock of a live source that has gone quiet: a pure decision over what the source has seen.
 *
 * Windows close when the watermark passes their end, and the watermark moves with event time. A
 * source that stops sending would hold its windows open forever, so after `idleMs` of wall-clock
 * time without events its watermark advances as if event time had kept pace with the clock
 * (`idleAdvance`). Such a watermark is a promise: an event older than it that arrives afterwards is
 * late, and the live run rejects it before logging it, so replaying the log gives what live gave.
 */
export interface IdleState {
  /** Largest event time accepted; -Infinity before any. */
  readonly maxTime: number;
  readonly lateness: number;
  /** Wall-clock time of the last accepted event (or of the start), ms. */
  readonly lastEventWallMs: number;
  /** The watermark last announced for idleness; -Infinity when none was. */
  readonly announced: number;
}

/**
 * The watermark to announce at `nowWallMs`, or undefined when the source is not idle or the
 * watermark would not move forward.
 *
 * @example
 * const s = { maxTime: 10_000, lateness: 0, lastEventWallMs: 0, announced: -Infinity };
 * idleWatermarkDue(s, 500, 1000);  // undefined: not idle yet
 * idleWatermarkDue(s, 1500, 1000); // 11_500
 */
export function idleWatermarkDue(s: IdleState, nowWallMs: number, idleMs: number): number | undefined {
  const state: WatermarkState = { maxTime: s.maxTime, lateness: s.lateness };
  const w = idleAdvance(state, s.lastEventWallMs, nowWallMs, idleMs);
  return w !== undefined && w > s.announced ? w : undefined;
}

/**
 * How often to check for idleness: often enough that a window closes soon after the timeout, rarely
 * enough to cost nothing.
 */
export function idleCheckEveryMs(idleMs: number): number {
  return Math.max(5, Math.min(250, Math.floor(idleMs / 4)));
}
