import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { AsOfIndex } from '../../../src/sdk/training/liveAsOf.js';
import { asOfJoin } from '../../../src/store/labels/asOfSweep.js';
import { KeyMatcher } from '../../../src/store/labels/keyCodes.js';

/**
 * The live as-of index against the labelers' batch as-of join (`asOfJoin`, itself checked against
 * DuckDB's ASOF JOIN elsewhere): same rows in, same values out, whatever order and batches the table
 * rows arrive in, with ties, nulls, a tolerance, two key columns and dictionaries that differ per batch.
 */

interface TRow {
  t: number;
  a: string;
  b: string;
  v: number | null;
}

/** Rows as a batch on a fresh dictionary per column (as separate live batches would have). */
function batchOf(rows: readonly TRow[], withValues: boolean): Batch {
  const da = new Dictionary(['zz']); // a value no row has, so codes differ from batch to batch
  const db = new Dictionary();
  const n = rows.length;
  const validity = new Uint8Array((n + 7) >> 3);
  const values = new Float64Array(n);
  rows.forEach((r, i) => {
    if (r.v !== null) (values[i] = r.v), (validity[i >> 3]! |= 1 << (i & 7));
    else values[i] = NaN;
  });
  return {
    length: n,
    time: Float64Array.from(rows, (r) => r.t),
    columns: {
      a: dictColumn(Int32Array.from(rows, (r) => da.encode(r.a)), da),
      b: dictColumn(Int32Array.from(rows, (r) => db.encode(r.b)), db),
      ...(withValues && { v: float64Column(values, validity) }),
    },
  };
}

const rowArb = fc.record({ t: fc.integer({ min: 0, max: 40 }), a: fc.constantFrom('x', 'y', 'w'), b: fc.constantFrom('p', 'q'), v: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null, freq: 5 }) });

/** Reference: the batch join over the table in arrival order (it stable-sorts by time; ties: last in order). */
function reference(table: TRow[], spine: TRow[], tolerance: number): (number | null)[] {
  const sorted = spine.map((r, i) => ({ r, i })).sort((x, y) => x.r.t - y.r.t || x.i - y.i);
  const spineBatch = batchOf(sorted.map((s) => s.r), false);
  const tableBatch = batchOf(table, true);
  const keys = new KeyMatcher(['a', 'b'], spineBatch);
  const [col] = asOfJoin(keys.spineCodes, spineBatch.time, keys.codes(tableBatch), tableBatch.time, [tableBatch.columns.v!], keys.size, tolerance);
  const out: (number | null)[] = new Array(spine.length);
  sorted.forEach((s, j) => (out[s.i] = col!.validity !== undefined && ((col!.validity[j >> 3]! >> (j & 7)) & 1) === 0 ? null : col!.values[j]!));
  return out;
}

function live(index: AsOfIndex, spine: TRow[], tolerance: number): (number | null)[] {
  const [col] = index.lookup(batchOf(spine, false), tolerance);
  return spine.map((_, i) => (col!.validity !== undefined && ((col!.validity[i >> 3]! >> (i & 7)) & 1) === 0 ? null : col!.values[i]!));
}

describe('AsOfIndex (live as-of lookups)', () => {
  it('gives the batch as-of join values: strictly before, ties to the last added, nulls and tolerance kept', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.array(rowArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom(Infinity, 5, 0), (table, spine, cuts, tolerance) => {
        const index = new AsOfIndex(['a', 'b'], ['v']);
        // Arrival in several batches, in any time order.
        const size = Math.max(1, Math.ceil(table.length / cuts));
        for (let i = 0; i < table.length; i += size) index.add(batchOf(table.slice(i, i + size), true));
        expect(live(index, spine, tolerance)).toEqual(reference(table, spine, tolerance));
      }),
      { numRuns: 300 },
    );
  });

  it('after compacting at a floor, still answers every lookup at or after the floor', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 80 }), fc.array(rowArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 40 }), (table, spine, floor) => {
        const index = new AsOfIndex(['a', 'b'], ['v']);
        index.add(batchOf(table, true));
        const before = index.rows;
        index.compact(floor);
        expect(index.rows).toBeLessThanOrEqual(before);
        // Lookups after the floor, and exactly at it (which read the newest row strictly before it).
        const late = [...spine.filter((r) => r.t >= floor), ...spine.map((r) => ({ ...r, t: floor }))];
        if (late.length > 0) expect(live(index, late, Infinity)).toEqual(reference(table, late, Infinity));
      }),
      { numRuns: 300 },
    );
  });

  it('a key the table never had, or a null key, finds nothing', () => {
    const index = new AsOfIndex(['a', 'b'], ['v']);
    index.add(batchOf([{ t: 1, a: 'x', b: 'p', v: 3 }], true));
    expect(live(index, [{ t: 5, a: 'x', b: 'q', v: null }, { t: 5, a: 'x', b: 'p', v: null }], Infinity)).toEqual([null, 3]);
    const d = new Dictionary(['x']);
    const nullKey: Batch = { length: 1, time: Float64Array.of(5), columns: { a: dictColumn(Int32Array.of(0), d, Uint8Array.of(0)), b: dictColumn(Int32Array.of(0), new Dictionary(['p'])) } };
    const [col] = index.lookup(nullKey);
    expect(col!.validity![0]! & 1).toBe(0);
  });
});
