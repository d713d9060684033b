import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyGroupOf } from '../../../src/actors/partitioning/keyHash.js';
import { KeyHashes, keyGroupsOf, keyGroupsOfColumns, keyHashesOf } from '../../../src/actors/partitioning/keyGroupsOf.js';
import type { Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';

type Cell = string | number | null;

function dictColumn(cells: readonly Cell[], dict = new Dictionary()): Column {
  const validity = allocValidity(cells.length);
  cells.forEach((c, i) => setValid(validity, i, c !== null));
  // Null rows hold junk codes on purpose: only the validity bitmap may be trusted.
  return { type: 'dictionary', codes: Int32Array.from(cells, (c) => (c === null ? 99999 : dict.encode(c))), dictionary: dict, validity };
}

function floatColumn(cells: readonly (number | null)[]): Column {
  const validity = allocValidity(cells.length);
  cells.forEach((c, i) => setValid(validity, i, c !== null));
  return { type: 'float64', values: Float64Array.from(cells, (c) => c ?? NaN), validity };
}

const cell = fc.option(fc.oneof(fc.constantFrom('a', 'b', 'é', '😀', 'card-1'), fc.integer({ min: -5, max: 5 })), { freq: 5 });

describe('keyGroupsOf', () => {
  it('gives every row the group keyGroupOf gives its value, and -1 for a null key', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 60 }), fc.integer({ min: 1, max: 300 }), (cells, kg) => {
        const groups = keyGroupsOf(dictColumn(cells), kg);
        expect(Array.from(groups)).toEqual(cells.map((c) => (c === null ? -1 : keyGroupOf(c, kg))));
      }),
    );
  });

  it('numeric key columns (not dictionary-encoded) agree with dictionaries of numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ noNaN: false }), { freq: 5 }), { maxLength: 40 }), (cells) => {
        const fromValues = keyGroupsOf(floatColumn(cells), 128);
        const fromDictionary = keyGroupsOf(dictColumn(cells), 128);
        expect(Array.from(fromValues)).toEqual(Array.from(fromDictionary));
      }),
    );
    const ints: Column = { type: 'int32', values: Int32Array.of(1, 2, 3) };
    expect(Array.from(keyGroupsOf(ints, 64))).toEqual([1, 2, 3].map((v) => keyGroupOf(v, 64)));
    expect(() => keyGroupsOf({ type: 'bool', values: Uint8Array.of(1) })).toThrow(/bool/);
  });

  it('composite keys agree with keyGroupOf on the tuple; a null part makes the row -1', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell), { maxLength: 40 }), (rows) => {
        const groups = keyGroupsOfColumns([dictColumn(rows.map((r) => r[0])), dictColumn(rows.map((r) => r[1]))], 128);
        expect(Array.from(groups)).toEqual(rows.map(([a, b]) => (a === null || b === null ? -1 : keyGroupOf([a, b], 128))));
      }),
    );
    expect(() => keyGroupsOfColumns([], 128)).toThrow(/at least one column/);
  });

  it('is the same for the same value whatever code a dictionary gave it', () => {
    const d1 = new Dictionary(['x', 'y', 'z']);
    const d2 = new Dictionary(['z', 'y', 'x']);
    const g1 = keyGroupsOf({ type: 'dictionary', codes: Int32Array.of(0, 1, 2), dictionary: d1 });
    const g2 = keyGroupsOf({ type: 'dictionary', codes: Int32Array.of(2, 1, 0), dictionary: d2 });
    expect(Array.from(g1)).toEqual(Array.from(g2));
  });
});

describe('KeyHashes', () => {
  it('hashes only the values a dictionary gained since the last call, and keeps earlier ones', () => {
    const d = new Dictionary(['a', 'b']);
    const hashes = new KeyHashes();
    const first = Array.from(hashes.of(d));
    expect(first).toHaveLength(2);
    for (let i = 0; i < 100; i++) d.encode(`v${i}`);
    const second = hashes.of(d);
    expect(second).toHaveLength(102);
    expect(Array.from(second.subarray(0, 2))).toEqual(first);
    expect(Array.from(keyHashesOf({ type: 'dictionary', codes: Int32Array.of(101, 0), dictionary: d }, hashes))).toEqual([second[101], second[0]]);
  });

  it('keeps a batch of a million rows over a few thousand keys to array lookups', () => {
    const d = new Dictionary();
    for (let i = 0; i < 5000; i++) d.encode(`user-${i}`);
    const codes = new Int32Array(1_000_000);
    for (let i = 0; i < codes.length; i++) codes[i] = (i * 7919) % 5000;
    const column: Column = { type: 'dictionary', codes, dictionary: d };
    const hashes = new KeyHashes();
    keyGroupsOf(column, 128, hashes); // warms the cache: 5000 string hashes
    const t0 = performance.now();
    const groups = keyGroupsOf(column, 128, hashes);
    const ms = performance.now() - t0;
    expect(groups[1]).toBe(keyGroupOf(`user-${7919 % 5000}`));
    // A lookup and a modulo per row: well under a second even on a loaded CI machine. Hashing a
    // string per row would not be (about 1M × 50-100 ns).
    expect(ms).toBeLessThan(500);
  });
});
