import { describe, expect, it } from 'vitest';
import { queueMarks, shouldPause } from '../../../src/actors/live/backpressure.js';
import { flushDue, flushWaitMs } from '../../../src/actors/live/flushRule.js';
import { idleCheckEveryMs, idleWatermarkDue } from '../../../src/actors/live/idleWatermark.js';

describe('flush rule', () => {
  const policy = { batchRows: 100, maxDelayMs: 5 };
  it('flushes on size, then on delay, never when empty', () => {
    expect(flushDue(0, 0, 1e9, policy)).toBeUndefined();
    expect(flushDue(100, 10, 10, policy)).toBe('size');
    expect(flushDue(250, 10, 10, policy)).toBe('size');
    expect(flushDue(99, 10, 14.9, policy)).toBeUndefined();
    expect(flushDue(99, 10, 15, policy)).toBe('delay');
  });
  it('a zero delay flushes when the input is drained, not before', () => {
    const zero = { batchRows: 100, maxDelayMs: 0 };
    expect(flushDue(1, 10, 1e9, zero)).toBeUndefined();
    expect(flushDue(1, 10, 10, zero, true)).toBe('drained');
    expect(flushDue(100, 10, 10, zero)).toBe('size');
  });
  it('the timer waits for what is left of the delay', () => {
    expect(flushWaitMs(10, 12, policy)).toBe(3);
    expect(flushWaitMs(10, 40, policy)).toBe(0);
  });
});

describe('backpressure', () => {
  it('pauses at the high mark and resumes at the low one (hysteresis)', () => {
    const m = queueMarks(100);
    expect(m).toEqual({ high: 100, low: 50 });
    const seq = [10, 99, 100, 80, 51, 50, 99, 100].map((depth) => depth);
    let paused = false;
    const states = seq.map((d) => (paused = shouldPause(paused, d, m)));
    expect(states).toEqual([false, false, true, true, true, false, false, true]);
  });
  it('a high-water mark of 1 still lets one row through at a time', () => {
    const m = queueMarks(1);
    expect(shouldPause(false, 0, m)).toBe(false);
    expect(shouldPause(false, 1, m)).toBe(true);
    expect(shouldPause(true, 0, m)).toBe(false);
  });
});

describe('idle watermark', () => {
  const s = { maxTime: 10_000, lateness: 2_000, lastEventWallMs: 0, announced: -Infinity };
  it('advances only after the idle timeout, by the wall-clock time passed', () => {
    expect(idleWatermarkDue(s, 999, 1000)).toBeUndefined();
    expect(idleWatermarkDue(s, 1000, 1000)).toBe(10_000 + 1000 - 2000);
    expect(idleWatermarkDue(s, 5000, 1000)).toBe(13_000);
  });
  it('never announces the same or an older watermark twice', () => {
    expect(idleWatermarkDue({ ...s, announced: 13_000 }, 5000, 1000)).toBeUndefined();
    expect(idleWatermarkDue({ ...s, announced: 13_000 }, 5001, 1000)).toBe(13_001);
  });
  it('a source that never saw an event has no watermark to move', () => {
    expect(idleWatermarkDue({ ...s, maxTime: -Infinity }, 1e9, 1000)).toBeUndefined();
  });
  it('checks a few times per timeout, within bounds', () => {
    expect(idleCheckEveryMs(1000)).toBe(250);
    expect(idleCheckEveryMs(100)).toBe(25);
    expect(idleCheckEveryMs(1)).toBe(5);
    expect(idleCheckEveryMs(60_000)).toBe(250);
  });
});
