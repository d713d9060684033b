import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanGroupRate } from '../../../../src/pipelines/features/payments/groupRate.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from '../market/helpers.js';

const opts = { key: ['merchant'], types: { merchant: 'string', ip: 'string', status: 'string', on: 'bool' } as const };
const BOTH = ['mean', 'groups'];

/** Naive: per row, the key's events in [t - w, t) grouped by ip; the mean over ips of approved / attempts. */
function naive(rows: readonly InRow[], w: number, useWhere: boolean): Record<string, Value>[] {
  return rows.map((r) => {
    const per = new Map<string, { n: number; ok: number }>();
    for (const e of rows) {
      if (e.merchant !== r.merchant || e.t >= r.t || e.t < r.t - w || (useWhere && e.on !== true) || typeof e.ip !== 'string') continue;
      const g = per.get(e.ip) ?? { n: 0, ok: 0 };
      g.n++;
      if (e.status === 'approved') g.ok++;
      per.set(e.ip, g);
    }
    const rates = [...per.values()].map((g) => g.ok / g.n);
    return { time: r.t, f_mean: rates.length === 0 ? null : rates.reduce((a, b) => a + b, 0) / rates.length, f_groups: rates.length };
  });
}

const rowsArb = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 60 }),
      merchant: fc.constantFrom('m1', 'm2'),
      ip: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5') }, { weight: 1, arbitrary: fc.constant(null) }),
      status: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('approved', 'declined') }, { weight: 1, arbitrary: fc.constant(null) }),
      on: fc.boolean(),
    }),
    { maxLength: 90 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('mean_group_rate', () => {
  it('averages the per-IP success rate over the IPs in [t - w, t): a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, merchant: 'm1', ip: 'x', status: 'approved', on: true },
      { t: 1, merchant: 'm1', ip: 'x', status: 'declined', on: true },
      { t: 1, merchant: 'm1', ip: 'x', status: 'declined', on: true },
      { t: 2, merchant: 'm1', ip: 'y', status: 'approved', on: true },
      { t: 3, merchant: 'm1', ip: 'x', status: 'approved', on: true },
      { t: 11, merchant: 'm1', ip: 'y', status: 'approved', on: true }, // [1, 11): x 1/3, y 1/1
    ];
    const { rows: got } = await runDefinition(meanGroupRate, { window: 10, outputs: BOTH }, rows, opts);
    expectRows(got, [
      { f_mean: null, f_groups: 0 },
      { f_mean: 1, f_groups: 1 },
      { f_mean: 1, f_groups: 1 },
      { f_mean: 1 / 3, f_groups: 1 }, // x: 1 of 3; the per-event rate would also be 1/3
      { f_mean: (1 / 3 + 1) / 2, f_groups: 2 }, // not 2/4: each IP weighs the same
      { f_mean: (1 / 3 + 1) / 2, f_groups: 2 },
    ]);
  });

  it('matches a naive two-level aggregation, with a where filter, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, cutsArb, fc.integer({ min: 1, max: 40 }), fc.boolean(), async (rows, sizes, w, useWhere) => {
        const params = { window: w, outputs: BOTH, ...(useWhere && { where: 'on' }) };
        const { rows: got } = await runDefinition(meanGroupRate, params, rows, opts, sizes);
        expectRows(got, naive(rows, w, useWhere), 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the columns of its success expression, and has defaults for every param', () => {
    const p = meanGroupRate.params.parse({});
    expect(p).toMatchObject({ success: "status == 'approved'", category: 'ip', window: 30 * 86_400_000 });
    expect(meanGroupRate.inputs(p)).toEqual(['ip', 'status']);
    expect(meanGroupRate.outputs(p).map((o) => o.name)).toEqual(['']);
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, cutsArb, fc.nat(15), fc.integer({ min: 1, max: 30 }), async (rows, sizes, at, w) => {
        const params = { window: w, outputs: BOTH };
        const whole = await runDefinition(meanGroupRate, params, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(meanGroupRate, params, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 150 },
    );
  });
});
