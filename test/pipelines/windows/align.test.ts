import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketStart, gcd, windowStartsContaining } from '../../../src/pipelines/windows/align.js';

describe('bucketStart', () => {
  it('aligns to the epoch and to an offset, also before the epoch', () => {
    expect(bucketStart(0, 10)).toBe(0);
    expect(bucketStart(9, 10)).toBe(0);
    expect(bucketStart(10, 10)).toBe(10);
    expect(bucketStart(-1, 10)).toBe(-10);
    expect(bucketStart(-10, 10)).toBe(-10);
    expect(bucketStart(-11, 10)).toBe(-20);
    expect(bucketStart(5, 10, 7)).toBe(-3);
    expect(bucketStart(7, 10, 7)).toBe(7);
    expect(bucketStart(-3, 10, 7)).toBe(-3);
    expect(bucketStart(-4, 10, 7)).toBe(-13);
    // An offset beyond the width, or negative, names the same grid.
    expect(bucketStart(5, 10, 27)).toBe(-3);
    expect(bucketStart(5, 10, -13)).toBe(-3);
    // A day in ms, a realistic timestamp.
    expect(bucketStart(1_700_000_123_456, 86_400_000)).toBe(1_699_920_000_000);
  });

  it('is the grid point s with s <= t < s + width', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: -1e8, max: 1e8 }), (t, w, o) => {
        const s = bucketStart(t, w, o);
        expect(s).toBeLessThanOrEqual(t);
        expect(t).toBeLessThan(s + w);
        expect(Math.abs((s - o) % w)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('windowStartsContaining', () => {
  it('gives the oldest and newest windows holding t: worked examples', () => {
    expect(windowStartsContaining(12, 10, 5)).toEqual({ first: 5, last: 10 });
    expect(windowStartsContaining(10, 10, 5)).toEqual({ first: 5, last: 10 }); // [0, 10) does not hold 10
    expect(windowStartsContaining(-1, 10, 4)).toEqual({ first: -8, last: -4 });
    expect(windowStartsContaining(3, 10, 10, 5)).toEqual({ first: -5, last: -5 });
  });

  it('matches a brute-force scan of the grid whenever every <= size', () => {
    fc.assert(
      fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: -50, max: 50 }), (t, a, b, offset) => {
        const size = Math.max(a, b);
        const every = Math.min(a, b);
        // Scan the grid from a point safely below t - size.
        const lo = offset + Math.floor((t - size - offset) / every - 1) * every;
        const brute: number[] = [];
        for (let s = lo; s <= t; s += every) if (t < s + size) brute.push(s);
        const { first, last } = windowStartsContaining(t, size, every, offset);
        expect(first).toBe(brute[0]);
        expect(last).toBe(brute[brute.length - 1]);
        expect((last - first) / every + 1).toBe(brute.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('gcd', () => {
  it('computes pane widths', () => {
    expect(gcd(10, 4)).toBe(2);
    expect(gcd(3_600_000, 900_000)).toBe(900_000);
    expect(gcd(7, 7)).toBe(7);
    expect(gcd(9, 6)).toBe(3);
    expect(gcd(13, 5)).toBe(1);
    expect(gcd(12, 0)).toBe(12);
    expect(gcd(0, 12)).toBe(12);
  });

  it('is the greatest common divisor (brute force)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 }), (a, b) => {
        let want = 1;
        for (let d = 1; d <= Math.min(a, b); d++) if (a % d === 0 && b % d === 0) want = d;
        expect(gcd(a, b)).toBe(want);
      }),
      { numRuns: 300 },
    );
  });
});
