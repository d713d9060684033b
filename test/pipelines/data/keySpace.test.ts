import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { valueAt, type Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { KeySpace } from '../../../src/pipelines/data/keySpace.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';

type Cell = string | number | null;
type Kind = 'dict' | 'float64' | 'int32';

function column(kind: Kind, cells: readonly Cell[], dict: Dictionary): Column {
  const n = cells.length;
  const validity = cells.some((c) => c === null) ? allocValidity(n) : undefined;
  if (validity) cells.forEach((c, i) => setValid(validity, i, c !== null));
  const v = validity ? { validity } : {};
  // Null rows hold junk on purpose: the key space must not trust them.
  if (kind === 'dict') return { type: 'dictionary', codes: Int32Array.from(cells, (c) => (c === null ? 12345 : dict.encode(c))), dictionary: dict, ...v };
  if (kind === 'int32') return { type: 'int32', values: Int32Array.from(cells, (c) => (c === null ? 777 : (c as number))), ...v };
  return { type: 'float64', values: Float64Array.from(cells, (c) => (c === null ? NaN : (c as number))), ...v };
}

function batchOfRows(names: readonly string[], kinds: readonly Kind[], rows: readonly Cell[][], dicts: readonly Dictionary[]): Batch {
  const cols: Record<string, Column> = {};
  names.forEach((name, c) => (cols[name] = column(kinds[c]!, rows.map((r) => r[c]!), dicts[c]!)));
  return makeBatch(Float64Array.from(rows, (_, i) => i), cols);
}

const cellArb = (kind: Kind, nulls: boolean) => {
  const base: fc.Arbitrary<Cell> = kind === 'dict' ? fc.constantFrom('x', 'y', 'z', 'w') : kind === 'int32' ? fc.integer({ min: -3, max: 3 }) : fc.constantFrom(0, 1.5, -2, 1e9, 7);
  return nulls ? fc.option(base, { freq: 6 }) : base;
};

const SHAPES: { kinds: Kind[] }[] = [{ kinds: ['dict'] }, { kinds: ['float64'] }, { kinds: ['dict', 'float64'] }, { kinds: ['int32', 'dict'] }, { kinds: ['dict', 'int32', 'dict'] }, { kinds: ['float64', 'float64', 'int32'] }];

describe('KeySpace', () => {
  it('gives every row code 0 with no key column', () => {
    const ks = new KeySpace([]);
    const codes = ks.encode(makeBatch(Float64Array.of(1, 2, 3), {}));
    expect(Array.from(codes)).toEqual([0, 0, 0]);
    expect(ks.size).toBe(1);
  });

  it("uses a single dictionary column's codes as they are, with -1 for nulls", () => {
    const d = new Dictionary(['p', 'q', 'r']);
    const ks = new KeySpace(['k']);
    const b = batchOfRows(['k'], ['dict'], [['r'], [null], ['p']], [d]);
    expect(Array.from(ks.encode(b))).toEqual([2, -1, 0]);
    const decoded = ks.decode(Int32Array.of(0, 1, 2));
    expect([0, 1, 2].map((i) => valueAt(decoded.k!, i))).toEqual(['p', 'q', 'r']);
  });

  it('codes composite keys: a worked example', () => {
    const d = new Dictionary();
    const ks = new KeySpace(['user', 'n']);
    const b1 = batchOfRows(['user', 'n'], ['dict', 'float64'], [['u1', 5], ['u2', 5], ['u1', 5], ['u1', 6], [null, 5], ['u2', null]], [d, d]);
    expect(Array.from(ks.encode(b1))).toEqual([0, 1, 0, 2, -1, -1]);
    const b2 = batchOfRows(['user', 'n'], ['dict', 'float64'], [['u3', 6], ['u1', 6], ['u2', 5]], [d, d]);
    expect(Array.from(ks.encode(b2))).toEqual([3, 2, 1]);
    expect(ks.size).toBe(4);
    const dec = ks.decode(Int32Array.of(0, 1, 2, 3));
    expect([0, 1, 2, 3].map((i) => [valueAt(dec.user!, i), valueAt(dec.n!, i)])).toEqual([
      ['u1', 5],
      ['u2', 5],
      ['u1', 6],
      ['u3', 6],
    ]);
    expect(dec.user!.type).toBe('dictionary');
  });

  for (const { kinds } of SHAPES) {
    it(`codes ${kinds.join(' x ')} keys densely and stably across batches, and decodes them back`, () => {
      const names = kinds.map((_, i) => `k${i}`);
      const rowArb = fc.tuple(...kinds.map((k) => cellArb(k, true))) as fc.Arbitrary<Cell[]>;
      fc.assert(
        fc.property(fc.array(fc.array(rowArb, { maxLength: 20 }), { maxLength: 6 }), (batches) => {
          const dicts = kinds.map(() => new Dictionary());
          const ks = new KeySpace(names);
          const codeOf = new Map<string, number>();
          for (const rows of batches) {
            const codes = ks.encode(batchOfRows(names, kinds, rows, dicts));
            rows.forEach((r, i) => {
              const c = codes[i]!;
              if (r.some((x) => x === null)) {
                expect(c).toBe(-1);
                return;
              }
              const id = JSON.stringify(r);
              const known = codeOf.get(id);
              if (known === undefined) {
                // A new tuple gets a code no other tuple has.
                expect([...codeOf.values()]).not.toContain(c);
                codeOf.set(id, c);
              } else expect(c).toBe(known);
            });
          }
          const tuples = [...codeOf.keys()].map((s) => JSON.parse(s) as Cell[]);
          const codes = Int32Array.from(tuples, (t) => codeOf.get(JSON.stringify(t))!);
          for (const c of codes) expect(c).toBeLessThan(ks.size);
          if (kinds.length > 1) expect(ks.size).toBe(tuples.length); // dense for composite keys
          const dec = ks.decode(codes);
          expect(Object.keys(dec).sort()).toEqual([...names].sort());
          tuples.forEach((t, i) => expect(names.map((n) => valueAt(dec[n]!, i))).toEqual(t));
        }),
        { numRuns: 80 },
      );
    });
  }

  it('restores from a structured-cloned snapshot and gives the same codes afterwards', () => {
    const kinds: Kind[] = ['dict', 'float64', 'int32'];
    const names = ['a', 'b', 'c'];
    const rowArb = fc.tuple(cellArb('dict', true), cellArb('float64', true), cellArb('int32', false)) as fc.Arbitrary<Cell[]>;
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), fc.array(rowArb, { maxLength: 30 }), (first, second) => {
        const dicts = kinds.map(() => new Dictionary());
        const a = new KeySpace(names);
        a.encode(batchOfRows(names, kinds, first, dicts));
        const b = new KeySpace(names);
        b.restore(structuredClone(a.snapshot()));
        const next = batchOfRows(names, kinds, [...first, ...second], dicts);
        expect(Array.from(b.encode(next))).toEqual(Array.from(a.encode(next)));
        expect(b.size).toBe(a.size);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a key column whose dictionary changes between batches, and a missing column', () => {
    const ks = new KeySpace(['k']);
    ks.encode(batchOfRows(['k'], ['dict'], [['a']], [new Dictionary()]));
    expect(() => ks.encode(batchOfRows(['k'], ['dict'], [['a']], [new Dictionary()]))).toThrow(/changed dictionary/);
    expect(() => ks.encode(makeBatch(Float64Array.of(1), {}))).toThrow(/not in the batch/);
  });
});
