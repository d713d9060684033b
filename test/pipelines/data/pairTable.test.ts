import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairTable } from '../../../src/pipelines/data/pairTable.js';

/** The reference: dense codes in order of first appearance, by a Map over "a,b". */
function reference(pairs: readonly [number, number][]): number[] {
  const m = new Map<string, number>();
  return pairs.map(([a, b]) => {
    const k = `${a},${b}`;
    let c = m.get(k);
    if (c === undefined) m.set(k, (c = m.size));
    return c;
  });
}

const code = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
const pairsArb = fc.array(fc.tuple(code, code), { maxLength: 400 });

describe('PairTable', () => {
  it('gives dense codes in order of first appearance, and decodes them', () => {
    const t = new PairTable(2);
    expect([t.encode(3, 4), t.encode(4, 3), t.encode(3, 4), t.encode(0, 0)]).toEqual([0, 1, 0, 2]);
    expect(t.size).toBe(3);
    expect([t.left[1], t.right[1]]).toEqual([4, 3]);
  });

  it('matches a Map, through growth and rehashing, from any capacity', () => {
    fc.assert(
      fc.property(pairsArb, fc.integer({ min: 1, max: 64 }), (pairs, capacity) => {
        const t = new PairTable(capacity);
        const got = pairs.map(([a, b]) => t.encode(a, b));
        const want = reference(pairs);
        expect(got).toEqual(want);
        expect(t.size).toBe(new Set(want).size);
        pairs.forEach(([a, b], i) => {
          expect(t.left[want[i]!]).toBe(a);
          expect(t.right[want[i]!]).toBe(b);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('holds many pairs that share a component (one big rehash chain)', () => {
    const t = new PairTable(16);
    const pairs: [number, number][] = [];
    for (let i = 0; i < 5000; i++) pairs.push([7, i], [i, 7]);
    pairs.push([7, 7]);
    expect(pairs.map(([a, b]) => t.encode(a, b))).toEqual(reference(pairs));
    expect(t.size).toBe(9999);
  });

  it('restores from a structured-cloned snapshot with the same codes, and continues alike', () => {
    fc.assert(
      fc.property(pairsArb, pairsArb, (first, second) => {
        const a = new PairTable();
        first.forEach(([x, y]) => a.encode(x, y));
        const b = PairTable.restore(structuredClone(a.snapshot()));
        expect(b.size).toBe(a.size);
        first.forEach(([x, y]) => expect(b.encode(x, y)).toBe(a.encode(x, y)));
        second.forEach(([x, y]) => expect(b.encode(x, y)).toBe(a.encode(x, y)));
        expect(b.size).toBe(a.size);
      }),
      { numRuns: 100 },
    );
  });
});
