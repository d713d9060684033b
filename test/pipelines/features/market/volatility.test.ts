import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { volatility } from '../../../../src/pipelines/features/market/volatility.js';
import { byTime, cutsArb, expectRows, naiveStd, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const opts = { types: { symbol: 'string', price: 'float64', on: 'bool' } as const };

/** Naive: the key's usable prices before t, the returns between consecutive ones, those whose time is in [t - w, t). */
function naive(rows: readonly InRow[], w: number, log: boolean, useWhere: boolean): Record<string, Value>[] {
  return rows.map((r) => {
    const obs = rows.filter((e) => e.symbol === r.symbol && e.t < r.t && (!useWhere || e.on === true) && typeof e.price === 'number' && (!log || e.price > 0));
    const returns: number[] = [];
    for (let j = 1; j < obs.length; j++) {
      const p = obs[j]!.price as number;
      const prev = obs[j - 1]!.price as number;
      const ret = log ? Math.log(p / prev) : p / prev - 1;
      if (obs[j]!.t >= r.t - w && Number.isFinite(ret)) returns.push(ret);
    }
    return { time: r.t, f: naiveStd(returns) };
  });
}

const priceRows = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 40 }),
      symbol: fc.constantFrom('X', 'Y', 'Z'),
      price: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 40 }).map((p) => 90 + p / 4) }, { weight: 1, arbitrary: fc.constantFrom(null, 0, -1) }),
      on: fc.boolean(),
    }),
    { maxLength: 70 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('volatility', () => {
  it('is the sample std of the returns in [t - w, t): a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', price: 100, on: true },
      { t: 1, symbol: 'X', price: 110, on: true },
      { t: 2, symbol: 'X', price: 99, on: true },
      { t: 3, symbol: 'X', price: 99, on: true },
      { t: 3, symbol: 'X', price: 120, on: true }, // a tie: sees neither price at t = 3
      { t: 4, symbol: 'X', price: null, on: true },
      { t: 6, symbol: 'X', price: 100, on: true },
    ];
    const r1 = Math.log(110 / 100);
    const r2 = Math.log(99 / 110);
    const r3 = Math.log(99 / 99);
    const r4 = Math.log(120 / 99);
    const { rows: got } = await runDefinition(volatility, { window: 2.5, column: 'price' }, rows, opts);
    expectRows(got, [
      { time: 0, f: null },
      { time: 1, f: null },
      { time: 2, f: null }, // one return so far
      { time: 3, f: naiveStd([r1, r2]) },
      { time: 3, f: naiveStd([r1, r2]) },
      { time: 4, f: naiveStd([r2, r3, r4]) }, // [1.5, 4): r1 (at t = 1) has left
      { time: 6, f: null }, // [3.5, 6): every return (the latest at t = 3) has left; the null price is skipped
    ]);
    expect(naiveStd([r1, r2])).toBeCloseTo(Math.abs(r1 - r2) / Math.SQRT2, 15);
  });

  it('matches the naive std of returns (log and simple), with a where filter, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(priceRows, cutsArb, fc.integer({ min: 1, max: 25 }), fc.boolean(), fc.boolean(), async (rows, sizes, w, log, useWhere) => {
        const params = { column: 'price', window: w, returns: log ? 'log' : 'simple', ...(useWhere && { where: 'on' }) };
        const { rows: got } = await runDefinition(volatility, params, rows, opts, sizes);
        expectRows(got, naive(rows, w, log, useWhere), 1e-7);
      }),
      { numRuns: 300 },
    );
  });

  it('parses durations and checks them', () => {
    expect(volatility.params.parse({ window: '1m' })).toMatchObject({ column: 'price', window: 60_000, returns: 'log' });
    expect(volatility.params.parse({})).toMatchObject({ window: 60_000 });
    expect(volatility.params.safeParse({ window: '1 minute' }).success).toBe(false);
    expect(volatility.params.safeParse({ window: 0 }).success).toBe(false);
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(priceRows, cutsArb, fc.nat(15), async (rows, sizes, at) => {
        const params = { column: 'price', window: 7 };
        const whole = await runDefinition(volatility, params, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(volatility, params, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 100 },
    );
  });
});
