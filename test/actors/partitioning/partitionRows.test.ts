import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assign } from '../../../src/actors/partitioning/assignment.js';
import { partitionRows } from '../../../src/actors/partitioning/partitionRows.js';

describe('partitionRows', () => {
  it('groups rows by owning actor, stable, with null keys last', () => {
    const a = assign(4, ['x', 'y']); // x: 0,1  y: 2,3
    const { offsets, rows } = partitionRows(Int32Array.of(3, 0, -1, 2, 1, 0), a.owner, 2);
    expect(Array.from(offsets)).toEqual([0, 3, 5, 6]);
    expect(Array.from(rows.subarray(offsets[0], offsets[1]))).toEqual([1, 4, 5]);
    expect(Array.from(rows.subarray(offsets[1], offsets[2]))).toEqual([0, 3]);
    expect(Array.from(rows.subarray(offsets[2], offsets[3]))).toEqual([2]);
  });

  it('refuses a group the assignment does not have', () => {
    expect(() => partitionRows(Int32Array.of(5), assign(4, ['x']).owner, 1)).toThrow(/key group 5/);
  });

  it('property: a stable permutation of the rows, each in its owner bucket', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: -1, max: 49 }), { maxLength: 100 }), (n, k, raw) => {
        const groups = Int32Array.from(raw, (g) => (g < 0 ? -1 : g % n));
        const a = assign(n, Array.from({ length: k }, (_, i) => `a${i}`));
        const { offsets, rows } = partitionRows(groups, a.owner, k);
        expect(Array.from(rows).sort((x, y) => x - y)).toEqual(Array.from({ length: raw.length }, (_, i) => i));
        for (let b = 0; b <= k; b++) {
          const bucket = Array.from(rows.subarray(offsets[b], offsets[b + 1]));
          expect(bucket).toEqual([...bucket].sort((x, y) => x - y));
          for (const r of bucket) expect(groups[r]! < 0 ? k : a.owner[groups[r]!]).toBe(b);
        }
      }),
    );
  });
});
