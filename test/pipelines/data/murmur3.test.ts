import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3_32, murmur3_32Words } from '../../../src/pipelines/data/murmur3.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('murmur3_32 (x86_32)', () => {
  // Published test vectors for MurmurHash3_x86_32 (SMHasher's verification set, as listed on
  // Wikipedia and by the Guava / mmh3 test suites).
  it.each([
    [bytes(), 0, 0],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
    [utf8('aaaa'), 0x9747b28c, 0x5a97808a],
    [utf8('aaa'), 0x9747b28c, 0x283e0130],
    [utf8('aa'), 0x9747b28c, 0x5d211726],
    [utf8('a'), 0x9747b28c, 0x7fa09ea6],
    [utf8('abcd'), 0x9747b28c, 0xf0478627],
    [utf8('abc'), 0x9747b28c, 0xc84a62dd],
    [utf8('ab'), 0x9747b28c, 0x74875592],
    [utf8('Hello, world!'), 0x9747b28c, 0x24884cba],
    [utf8('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
    [utf8('hello'), 0, 0x248bfa47],
  ])('vector %#', (input, seed, expected) => {
    expect(murmur3_32(input, seed)).toBe(expected);
  });

  it('hashes only the first `length` bytes', () => {
    expect(murmur3_32(utf8('hello world'), 0, 5)).toBe(murmur3_32(utf8('hello'), 0));
  });

  it('murmur3_32Words equals murmur3_32 over the little-endian bytes of the words', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 16 }), fc.integer({ min: 0, max: 0xffffffff }), (words, seed) => {
        const b = new Uint8Array(words.length * 4);
        const view = new DataView(b.buffer);
        words.forEach((w, i) => view.setInt32(i * 4, w, true));
        expect(murmur3_32Words(words, words.length, seed)).toBe(murmur3_32(b, seed));
      }),
    );
  });

  it('returns unsigned 32-bit integers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const h = murmur3_32(b);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      }),
    );
  });
});
