import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ewma } from '../../../../src/pipelines/features/market/ewma.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const opts = { types: { symbol: 'string', price: 'float64' } as const };

/** The closed form: weights 2^(-(t - t_i) / h) over the key's usable events strictly before t. */
function closedForm(rows: readonly InRow[], h: number): Record<string, Value>[] {
  return rows.map((r) => {
    let s = 0;
    let w = 0;
    for (const e of rows) {
      if (e.symbol !== r.symbol || e.t >= r.t || typeof e.price !== 'number') continue;
      const weight = 2 ** (-(r.t - e.t) / h);
      s += weight * e.price;
      w += weight;
    }
    const any = rows.some((e) => e.symbol === r.symbol && e.t < r.t && typeof e.price === 'number');
    return { time: r.t, f_mean: any ? s / w : null, f_sum: s, f_weight: w };
  });
}

const valueRows = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 60 }),
      symbol: fc.constantFrom('X', 'Y'),
      price: fc.option(fc.integer({ min: -40, max: 40 }).map((x) => 100 + x / 4), { freq: 10 }),
    }),
    { maxLength: 60 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('ewma', () => {
  it('decays by elapsed event time, strictly before each event: a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', price: 1 },
      { t: 10, symbol: 'X', price: 3 },
      { t: 10, symbol: 'X', price: 5 }, // a tie: sees only t = 0
      { t: 20, symbol: 'X', price: 0 },
      { t: 20, symbol: 'Y', price: 7 },
    ];
    const { rows: got } = await runDefinition(ewma, { column: 'price', half_life: 10, outputs: ['mean', 'sum', 'weight'] }, rows, opts);
    expectRows(got, [
      { time: 0, f_mean: null, f_sum: 0, f_weight: 0 },
      { time: 10, f_mean: 1, f_sum: 0.5, f_weight: 0.5 },
      { time: 10, f_mean: 1, f_sum: 0.5, f_weight: 0.5 },
      { time: 20, f_mean: 4.25 / 1.25, f_sum: 0.25 + 1.5 + 2.5, f_weight: 1.25 },
      { time: 20, f_mean: null, f_sum: 0, f_weight: 0 },
    ]);
  });

  it('is one column named as the feature unless outputs are listed', () => {
    expect(ewma.outputs(ewma.params.parse({})).map((o) => o.name)).toEqual(['']);
    expect(ewma.outputs(ewma.params.parse({ outputs: ['weight', 'mean'] })).map((o) => o.name)).toEqual(['weight', 'mean']);
    expect(ewma.params.parse({ half_life: '30s' }).half_life).toBe(30_000);
  });

  it('equals the closed-form weighted sum, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(valueRows, cutsArb, fc.integer({ min: 1, max: 40 }), async (rows, sizes, h) => {
        const { rows: got } = await runDefinition(ewma, { half_life: h, outputs: ['mean', 'sum', 'weight'] }, rows, opts, sizes);
        expectRows(got, closedForm(rows, h), 1e-9);
        const single = await runDefinition(ewma, { half_life: h }, rows, opts, sizes);
        expect(single.rows.map((r) => r.f)).toEqual(got.map((r) => r.f_mean));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(valueRows, cutsArb, fc.nat(15), async (rows, sizes, at) => {
        const params = { half_life: 7, outputs: ['mean', 'sum', 'weight'] };
        const whole = await runDefinition(ewma, params, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(ewma, params, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 100 },
    );
  });
});
