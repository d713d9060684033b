import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineHashes, DEFAULT_KEY_GROUPS, groupOfHash, hashKey, hashKeyTuple, keyGroupOf } from '../../../src/actors/partitioning/keyHash.js';
import { murmur3_32 } from '../../../src/pipelines/data/murmur3.js';

/** The contract written out independently: murmur3 over the bytes that the docs name. */
function referenceHash(v: string | number): number {
  if (typeof v === 'string') return murmur3_32(new Uint8Array(Buffer.from(v, 'utf8')), 0);
  const b = Buffer.alloc(8);
  b.writeDoubleLE(Object.is(v, -0) ? 0 : Number.isNaN(v) ? NaN : v);
  if (Number.isNaN(v)) b.writeUInt32LE(0, 0), b.writeUInt32LE(0x7ff80000, 4);
  return murmur3_32(new Uint8Array(b), 0);
}

describe('hashKey', () => {
  it('hashes strings as UTF-8 and numbers as little-endian float64, with murmur3 seed 0', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.double(), fc.integer()), (v) => {
        expect(hashKey(v)).toBe(referenceHash(v));
      }),
    );
  });

  it('pins the values that checkpoints depend on (changing these orphans every stored key group)', () => {
    // Cross-checked against an independent Python implementation of murmur3 over the same bytes
    // (struct.pack('<d', 42.0) for numbers). A failure here is a breaking change, not a test to update.
    expect(hashKey('')).toBe(0);
    expect(hashKey('hello')).toBe(0x248bfa47);
    expect(hashKey('card-17')).toBe(0x07d45070);
    expect(keyGroupOf('card-17')).toBe(112);
    expect(hashKey(42)).toBe(0x0e8f5881);
    expect(keyGroupOf(42)).toBe(1);
    expect(hashKey(1.5)).toBe(0xf07a83db);
    expect(hashKeyTuple(['u1', 'm9'])).toBe(0xf42571c3);
    expect(keyGroupOf(['u1', 'm9'])).toBe(67);
  });

  it('treats -0 as 0 and every NaN as one NaN, as a Dictionary does', () => {
    expect(hashKey(-0)).toBe(hashKey(0));
    const otherNaN = new Float64Array(new BigUint64Array([0x7ff8000000000123n]).buffer)[0]!;
    expect(Number.isNaN(otherNaN)).toBe(true);
    expect(hashKey(otherNaN)).toBe(hashKey(NaN));
  });

  it('handles strings longer than its scratch buffer, astral characters and lone surrogates', () => {
    const long = 'x'.repeat(10_000) + 'é';
    expect(hashKey(long)).toBe(referenceHash(long));
    expect(hashKey('😀 naïve')).toBe(referenceHash('😀 naïve'));
    expect(hashKey('\ud800')).toBe(referenceHash('\ud800')); // encoded as U+FFFD, like Buffer does
  });

  it('a string and a number are different keys', () => {
    expect(hashKey('42')).not.toBe(hashKey(42));
  });
});

describe('composite keys and key groups', () => {
  it('a one-part tuple hashes as its value; longer tuples combine the part hashes', () => {
    expect(hashKeyTuple(['u1'])).toBe(hashKey('u1'));
    expect(hashKeyTuple(['u1', 'm9'])).toBe(combineHashes([hashKey('u1'), hashKey('m9')]));
    expect(hashKeyTuple(['u1', 'm9'])).not.toBe(hashKeyTuple(['m9', 'u1']));
    expect(() => hashKeyTuple([])).toThrow(/at least one/);
  });

  it('key groups are hash mod keyGroups, in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 65536 }), (s, kg) => {
        const g = keyGroupOf(s, kg);
        expect(g).toBe(hashKey(s) % kg);
        expect(g >= 0 && g < kg).toBe(true);
      }),
    );
    expect(groupOfHash(0xffffffff, 128)).toBe(127);
    expect(() => keyGroupOf('x', 0)).toThrow(/positive integer/);
    expect(() => keyGroupOf('x', 1.5)).toThrow(/positive integer/);
  });

  it('spreads realistic keys evenly over the default 128 groups', () => {
    const counts = new Array<number>(DEFAULT_KEY_GROUPS).fill(0);
    const n = 128_000;
    for (let i = 0; i < n; i++) counts[keyGroupOf(`card-${i}`)]!++;
    // Each group expects 1000 (sd ≈ 31.5); 6 sd either way would be a broken hash, not bad luck.
    expect(Math.min(...counts)).toBeGreaterThan(1000 - 190);
    expect(Math.max(...counts)).toBeLessThan(1000 + 190);
    const numeric = new Array<number>(DEFAULT_KEY_GROUPS).fill(0);
    for (let i = 0; i < n; i++) numeric[keyGroupOf(i)]!++;
    expect(Math.min(...numeric)).toBeGreaterThan(1000 - 190);
    expect(Math.max(...numeric)).toBeLessThan(1000 + 190);
  });
});
