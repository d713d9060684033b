import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modeSum } from '../../../../src/pipelines/features/payments/modeSum.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from '../market/helpers.js';

const opts = { key: ['user'], types: { user: 'string', merchant: 'string', amount: 'float64', on: 'bool' } as const };
const ALL = ['sum', 'count', 'share', 'distinct'];

/**
 * Naive: for each row, the key's usable events in [t - w, t); counts per merchant; the mode is the
 * most counted, ties to the merchant whose latest event is latest (ties in time: later in the input).
 */
function naive(rows: readonly InRow[], w: number, useWhere: boolean): Record<string, Value>[] {
  return rows.map((r) => {
    const evs = rows
      .map((e, idx) => ({ e, idx }))
      .filter(({ e }) => e.user === r.user && e.t < r.t && e.t >= r.t - w && (!useWhere || e.on === true) && typeof e.merchant === 'string' && typeof e.amount === 'number');
    const per = new Map<string, { n: number; sum: number; latest: number }>();
    for (const { e, idx } of evs) {
      const m = per.get(e.merchant as string) ?? { n: 0, sum: 0, latest: -1 };
      m.n++;
      m.sum += e.amount as number;
      m.latest = Math.max(m.latest, idx);
      per.set(e.merchant as string, m);
    }
    let best: { n: number; sum: number; latest: number } | undefined;
    for (const m of per.values()) if (best === undefined || m.n > best.n || (m.n === best.n && m.latest > best.latest)) best = m;
    return {
      time: r.t,
      f_sum: best?.sum ?? null,
      f_count: best?.n ?? null,
      f_share: best === undefined ? null : best.n / evs.length,
      f_distinct: per.size,
    };
  });
}

const rowsArb = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 40 }),
      user: fc.constantFrom('u1', 'u2', 'u3'),
      merchant: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('a', 'b', 'c', 'd') }, { weight: 1, arbitrary: fc.constant(null) }),
      amount: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 1, max: 400 }).map((x) => x / 4) }, { weight: 1, arbitrary: fc.constant(null) }),
      on: fc.boolean(),
    }),
    { maxLength: 70 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('mode_sum', () => {
  it('sums the amount at the most common merchant in [t - w, t): a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, user: 'u1', merchant: 'a', amount: 10, on: true },
      { t: 1, user: 'u1', merchant: 'b', amount: 20, on: true },
      { t: 2, user: 'u1', merchant: 'b', amount: 5, on: true },
      { t: 3, user: 'u1', merchant: 'a', amount: 1, on: true }, // a tie 2:2, a is the latest
      { t: 4, user: 'u1', merchant: 'c', amount: 7, on: true },
      { t: 12, user: 'u1', merchant: 'c', amount: 3, on: true }, // window [2, 12): b 5, a 1, c 7
    ];
    const { rows: got } = await runDefinition(modeSum, { column: 'amount', category: 'merchant', window: 10, outputs: ALL }, rows, opts);
    expectRows(got, [
      { f_sum: null, f_count: null, f_share: null, f_distinct: 0 },
      { f_sum: 10, f_count: 1, f_share: 1, f_distinct: 1 },
      { f_sum: 20, f_count: 1, f_share: 0.5, f_distinct: 2 }, // a 1:1 tie, b came later
      { f_sum: 25, f_count: 2, f_share: 2 / 3, f_distinct: 2 },
      { f_sum: 11, f_count: 2, f_share: 0.5, f_distinct: 2 },
      { f_sum: 7, f_count: 1, f_share: 1 / 3, f_distinct: 3 }, // 1:1:1, c is the latest
    ]);
  });

  it('matches a naive mode and sum per merchant, with a where filter, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, cutsArb, fc.integer({ min: 1, max: 25 }), fc.boolean(), async (rows, sizes, w, useWhere) => {
        const params = { column: 'amount', category: 'merchant', window: w, outputs: ALL, ...(useWhere && { where: 'on' }) };
        const { rows: got } = await runDefinition(modeSum, params, rows, opts, sizes);
        expectRows(got, naive(rows, w, useWhere), 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('has one column named as the feature by default, and defaults for every param', async () => {
    expect(modeSum.params.parse({})).toMatchObject({ column: 'amount', category: 'merchant_id', window: 30 * 86_400_000 });
    expect(modeSum.outputs(modeSum.params.parse({})).map((o) => o.name)).toEqual(['']);
    expect(modeSum.params.safeParse({ outputs: ['median'] }).success).toBe(false);
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, cutsArb, fc.nat(15), fc.integer({ min: 1, max: 20 }), async (rows, sizes, at, w) => {
        const params = { column: 'amount', category: 'merchant', window: w, outputs: ALL };
        const whole = await runDefinition(modeSum, params, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(modeSum, params, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 150 },
    );
  });
});
