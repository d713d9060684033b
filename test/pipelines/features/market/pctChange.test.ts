import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pctChange } from '../../../../src/pipelines/features/market/pctChange.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const opts = { types: { symbol: 'string', price: 'float64' } as const };

function naive(rows: readonly InRow[], w: number): Record<string, Value>[] {
  return rows.map((r) => {
    const obs = rows.filter((e) => e.symbol === r.symbol && typeof e.price === 'number');
    const before = obs.filter((e) => e.t < r.t);
    const old = obs.filter((e) => e.t <= r.t - w);
    const current = before[before.length - 1]?.price as number | undefined;
    const base = old[old.length - 1]?.price as number | undefined;
    return { time: r.t, f: current === undefined || base === undefined || base === 0 ? null : current / base - 1 };
  });
}

const valueRows = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 40 }),
      symbol: fc.constantFrom('X', 'Y'),
      price: fc.option(fc.integer({ min: 0, max: 20 }).map((x) => x / 2), { freq: 10 }),
    }),
    { maxLength: 60 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('pct_change', () => {
  it('compares the latest value before t with the value as of t - w: a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', price: 100 },
      { t: 5, symbol: 'X', price: 110 },
      { t: 10, symbol: 'X', price: 120 },
      { t: 10, symbol: 'X', price: 130 }, // a tie: sees neither value at t = 10
      { t: 15, symbol: 'X', price: 90 },
      { t: 21, symbol: 'X', price: 80 },
    ];
    const { rows: got } = await runDefinition(pctChange, { window: 10 }, rows, opts);
    expectRows(got, [
      { time: 0, f: null },
      { time: 5, f: null }, // nothing as old as t - 10
      { time: 10, f: 110 / 100 - 1 },
      { time: 10, f: 110 / 100 - 1 },
      { time: 15, f: 130 / 110 - 1 }, // ties: the last to arrive is the latest
      { time: 21, f: 90 / 130 - 1 },
    ]);
  });

  it('matches the naive lookups, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(valueRows, cutsArb, fc.integer({ min: 1, max: 20 }), async (rows, sizes, w) => {
        const { rows: got } = await runDefinition(pctChange, { window: w }, rows, opts, sizes);
        expectRows(got, naive(rows, w), 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(valueRows, cutsArb, fc.nat(15), async (rows, sizes, at) => {
        const whole = await runDefinition(pctChange, { window: 6 }, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(pctChange, { window: 6 }, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 100 },
    );
  });
});
