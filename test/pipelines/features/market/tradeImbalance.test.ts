import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeImbalance } from '../../../../src/pipelines/features/market/tradeImbalance.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const opts = { types: { symbol: 'string', side: 'string', size: 'float64' } as const };

function naive(rows: readonly InRow[], w: number, buy: string): Record<string, Value>[] {
  return rows.map((r) => {
    let signed = 0;
    let total = 0;
    for (const e of rows) {
      if (e.symbol !== r.symbol || e.t >= r.t || e.t < r.t - w || e.side === null || typeof e.size !== 'number') continue;
      signed += e.side === buy ? e.size : -e.size;
      total += e.size;
    }
    return { time: r.t, f: total > 0 ? (signed / total) : null };
  });
}

const tradeRows = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 40 }),
      symbol: fc.constantFrom('X', 'Y'),
      side: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('buy', 'sell') }, { weight: 1, arbitrary: fc.constantFrom('B', null) }),
      size: fc.option(fc.integer({ min: 1, max: 40 }).map((s) => s / 8), { freq: 12 }),
    }),
    { maxLength: 70 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('trade_imbalance', () => {
  it('is (buy - sell) / total volume over [t - w, t): a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', side: 'buy', size: 1 },
      { t: 2, symbol: 'X', side: 'sell', size: 3 },
      { t: 5, symbol: 'X', side: 'buy', size: 2 },
      { t: 5, symbol: 'X', side: 'sell', size: 1 }, // a tie: neither trade at t = 5 is seen
      { t: 12, symbol: 'X', side: null, size: 1 }, // skipped: no side
      { t: 14, symbol: 'X', side: 'buy', size: 1 },
      { t: 30, symbol: 'X', side: 'sell', size: 1 },
    ];
    const { rows: got } = await runDefinition(tradeImbalance, { window: 10 }, rows, opts);
    expectRows(got, [
      { time: 0, f: null },
      { time: 2, f: 1 },
      { time: 5, f: (1 - 3) / 4 },
      { time: 5, f: (1 - 3) / 4 },
      { time: 12, f: (2 - 3 - 1) / 6 }, // [2, 12): the t = 0 buy has left
      { time: 14, f: (2 - 1) / 3 }, // [4, 14)
      { time: 30, f: null }, // [20, 30): nothing traded
    ]);
  });

  it('matches a naive sum over the window, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(tradeRows, cutsArb, fc.integer({ min: 1, max: 25 }), fc.constantFrom('buy', 'sell'), async (rows, sizes, w, buy) => {
        const { rows: got } = await runDefinition(tradeImbalance, { window: w, buy }, rows, opts, sizes);
        expectRows(got, naive(rows, w, buy), 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a bool side column too', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', buyer: true, size: 3 },
      { t: 1, symbol: 'X', buyer: false, size: 1 },
      { t: 2, symbol: 'X', buyer: null, size: 1 },
      { t: 3, symbol: 'X', buyer: true, size: 1 },
    ];
    const { rows: got } = await runDefinition(tradeImbalance, { side: 'buyer', buy: true, window: 100 }, rows, { types: { symbol: 'string', buyer: 'bool', size: 'float64' } });
    expectRows(got, [{ f: null }, { f: 1 }, { f: 0.5 }, { f: 0.5 }]);
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(tradeRows, cutsArb, fc.nat(15), async (rows, sizes, at) => {
        const whole = await runDefinition(tradeImbalance, { window: 9 }, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(tradeImbalance, { window: 9 }, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 100 },
    );
  });
});
