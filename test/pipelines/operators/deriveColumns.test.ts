import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { makeBatch, watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { parseExpression } from '../../../src/pipelines/expressions/index.js';
import { deriveColumns } from '../../../src/pipelines/operators/deriveColumns.js';
import { allRows } from './helpers.js';

function trades(price: number[], size: (number | null)[], side: string[], dict: Dictionary): Batch {
  const validity = new Uint8Array((size.length + 7) >> 3);
  size.forEach((s, i) => {
    if (s !== null) validity[i >> 3]! |= 1 << (i & 7);
  });
  return makeBatch(Float64Array.from(price, (_, i) => i * 10), {
    price: { type: 'float64', values: Float64Array.from(price) },
    size: { type: 'float64', values: Float64Array.from(size, (s) => s ?? 0), validity },
    side: { type: 'dictionary', codes: Int32Array.from(side, (s) => dict.encode(s)), dictionary: dict },
  });
}

describe('deriveColumns', () => {
  it('adds columns in order, each seeing those before it', async () => {
    const dict = new Dictionary();
    const derive = deriveColumns({
      notional: parseExpression('price * size'),
      signed: parseExpression("if(side == 'buy', notional, -notional)"),
      big: parseExpression('signed > 100 or signed < -100'),
    });
    const inputs = [trades([10, 20], [5, 10], ['buy', 'sell'], dict), trades([3], [null], ['buy'], dict)];
    const out = await lastValueFrom(from(inputs).pipe(derive, toArray()));
    expect(allRows(out, ['price', 'notional', 'signed', 'big'])).toEqual([
      { time: 0, price: 10, notional: 50, signed: 50, big: false },
      { time: 10, price: 20, notional: 200, signed: -200, big: true },
      { time: 0, price: 3, notional: null, signed: null, big: null },
    ]);
    // The input batch itself is left alone.
    expect(Object.keys(inputs[0]!.columns)).toEqual(['price', 'size', 'side']);
  });

  it('passes empty batches (a watermark) and an empty set of columns through untouched', async () => {
    const wm = watermarkBatch(5);
    const [out] = await lastValueFrom(from([wm]).pipe(deriveColumns({ x: parseExpression('price * 2') }), toArray()));
    expect(out).toBe(wm);
    const b = trades([1], [1], ['buy'], new Dictionary());
    const [same] = await lastValueFrom(from([b]).pipe(deriveColumns({}), toArray()));
    expect(same).toBe(b);
  });

  it('errors on an unknown column', async () => {
    const b = trades([1], [1], ['buy'], new Dictionary());
    await expect(lastValueFrom(from([b]).pipe(deriveColumns({ x: parseExpression('nope + 1') })))).rejects.toThrow(/nope/);
  });
});
