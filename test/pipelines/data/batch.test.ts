import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBatches, gatherRows, makeBatch, sliceBatch, takeBatch, watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { valueAt, type Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';

type R = { t: number; x: number | null; s: string | null; i: number };

function batchOf(rows: readonly R[], dict: Dictionary): Batch {
  const n = rows.length;
  const xv = allocValidity(n);
  const sv = allocValidity(n);
  rows.forEach((r, i) => {
    setValid(xv, i, r.x !== null);
    setValid(sv, i, r.s !== null);
  });
  const cols: Record<string, Column> = {
    x: { type: 'float64', values: Float64Array.from(rows, (r) => r.x ?? 0), validity: xv },
    s: { type: 'dictionary', codes: Int32Array.from(rows, (r) => (r.s === null ? -1 : dict.encode(r.s))), dictionary: dict, validity: sv },
    i: { type: 'int32', values: Int32Array.from(rows, (r) => r.i) },
  };
  return makeBatch(Float64Array.from(rows, (r) => r.t), cols, { offsets: Float64Array.from(rows, (_, k) => k * 10) });
}

function rows(b: Batch): unknown[] {
  return Array.from({ length: b.length }, (_, k) => [b.time[k], b.offsets?.[k], ...Object.keys(b.columns).sort().map((c) => valueAt(b.columns[c]!, k))]);
}

const rowsArb = fc.array(
  fc.record({ t: fc.integer({ min: 0, max: 100 }), x: fc.option(fc.double({ noNaN: true }), { freq: 4 }), s: fc.option(fc.constantFrom('a', 'b', 'c'), { freq: 4 }), i: fc.integer() }),
  { maxLength: 40 },
);

describe('batch', () => {
  it('makeBatch refuses columns of the wrong length', () => {
    expect(() => makeBatch(Float64Array.of(1, 2), { x: { type: 'float64', values: Float64Array.of(1) } })).toThrow(/column x has 1 rows/);
  });

  it('slices, takes and concatenates rows with their nulls and offsets', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.nat(), { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 50 }), (rs, cutsRaw, picks) => {
        const dict = new Dictionary();
        const b = batchOf(rs, dict);
        const all = rows(b);
        const cuts = [...new Set(cutsRaw.map((c) => c % (rs.length + 1)))].sort((x, y) => x - y);
        const bounds = [0, ...cuts, rs.length];
        const parts = bounds.slice(1).map((end, k) => sliceBatch(b, bounds[k]!, end));
        parts.forEach((p, k) => expect(rows(p)).toEqual(all.slice(bounds[k]!, bounds[k + 1]!)));
        expect(rows(concatBatches(parts))).toEqual(all);
        if (rs.length > 0) {
          const idx = picks.map((p) => p % rs.length);
          expect(rows(takeBatch(b, idx))).toEqual(idx.map((k) => all[k]));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('concatBatches keeps the last watermark given and refuses mixed dictionaries', () => {
    const d = new Dictionary();
    const b = batchOf([{ t: 1, x: 1, s: 'a', i: 1 }], d);
    const joined = concatBatches([{ ...b, watermark: 5 }, watermarkBatch(9), b]);
    expect(joined.length).toBe(2);
    expect(joined.watermark).toBe(9);
    expect(() => concatBatches([b, batchOf([{ t: 1, x: 1, s: 'a', i: 1 }], new Dictionary())])).toThrow(/different dictionaries/);
  });
});

describe('Dictionary', () => {
  it('keeps codes stable, looks up, and extends only consistently', () => {
    const d = new Dictionary(['a', 'b']);
    expect([d.encode('b'), d.encode(3), d.encode('a'), d.lookup('zz'), d.decode(2)]).toEqual([1, 2, 0, -1, 3]);
    d.extendWith(['a', 'b', 3, 'c']);
    expect(d.values).toEqual(['a', 'b', 3, 'c']);
    expect(() => d.extendWith(['a', 'x'])).toThrow(/mismatch at code 1/);
    // A number and its string are different values.
    expect(d.encode('3')).toBe(4);
  });

  it('gatherRows picks (part, index) rows of several batches, over one or several dictionaries (property)', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, fc.boolean(), fc.array(fc.nat(), { maxLength: 60 }), (ra, rb, shared, picks) => {
        fc.pre(ra.length > 0 && rb.length > 0);
        const d = new Dictionary();
        const parts = [batchOf(ra, d), batchOf(rb, shared ? d : new Dictionary())];
        const part = Int32Array.from(picks, (p) => p & 1);
        const index = Int32Array.from(picks, (p, k) => (p >> 1) % parts[part[k]!]!.length);
        const got = gatherRows(parts, part, index);
        const expected = Array.from(part, (p, k) => rows(parts[p]!)[index[k]!]);
        expect(rows(got)).toEqual(expected);
      }),
    );
  });
});

