import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idleAdvance, initialWatermark, observe, watermarkOf } from '../../../src/pipelines/windows/watermark.js';

describe('watermark', () => {
  it('starts at -Infinity and trails the newest time by the lateness', () => {
    const s0 = initialWatermark(5);
    expect(watermarkOf(s0)).toBe(-Infinity);
    const s1 = observe(s0, Float64Array.of(10, 30, 20));
    expect(watermarkOf(s1)).toBe(25);
    // Older times never move it back; the same state comes back when nothing changes.
    const s2 = observe(s1, [1, 29]);
    expect(s2).toBe(s1);
    expect(observe(s1, [])).toBe(s1);
    expect(watermarkOf(observe(s2, [31]))).toBe(26);
    // observe is pure.
    expect(s1.maxTime).toBe(30);
  });

  it('equals max(times) - lateness whatever the batching', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 10 }), { minLength: 1, maxLength: 8 }), fc.nat(100), (batches, lateness) => {
        let s = initialWatermark(lateness);
        for (const b of batches) s = observe(s, b);
        const all = batches.flat();
        expect(watermarkOf(s)).toBe(all.length === 0 ? -Infinity : Math.max(...all) - lateness);
      }),
    );
  });

  it('advances an idle source with the wall clock, only after idleMs', () => {
    const s = observe(initialWatermark(100), [1_000]);
    expect(idleAdvance(initialWatermark(100), 0, 1e9, 10)).toBeUndefined(); // nothing seen yet
    expect(idleAdvance(s, 5_000, 5_009, 10)).toBeUndefined();
    expect(idleAdvance(s, 5_000, 5_010, 10)).toBe(1_000 + 10 - 100);
    expect(idleAdvance(s, 5_000, 6_000, 10)).toBe(1_900);
  });
});
