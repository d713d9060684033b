/**
 * The payments library as configs/payments.yaml declares it, checked end to end through the compiled
 * pipeline against naive references: failed logins over 10m/30m/1d (default 0), card spend sum, count
 * and mean over 30/60/90 d, the 7-day z-score, the spend at the user's most common merchant, and the
 * merchant's success rate averaged over IPs.
 */
import fc from 'fast-check';
import { EMPTY, from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { createRuntime } from '../../../../src/pipelines/runtime/context.js';
import { loadConfig } from '../../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../../src/sdk/registry.js';
import { allRows } from '../../operators/helpers.js';
import { byTime, cutsArb, expectRows, naiveStd, rowBatches, type InRow, type Value } from '../market/helpers.js';

const MIN = 60_000;
const DAY = 86_400_000;
const compiled = compileFeatureSet(loadConfig('configs/payments.yaml'), FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));

async function table(name: 'transactions' | 'logins', rows: readonly InRow[], types: Record<string, 'string' | 'float64' | 'bool'>, sizes: readonly number[]) {
  const rt = createRuntime();
  const inputs = { transactions: EMPTY, logins: EMPTY, fraud_reports: EMPTY, [name]: from(rowBatches(rows, types, sizes)) };
  const out = compiled.build(rt, inputs);
  return allRows(await lastValueFrom(out[name]!.pipe(toArray())));
}

const before = (rows: readonly InRow[], r: InRow, w: number, same: (e: InRow) => boolean) => rows.filter((e) => e.t < r.t && e.t >= r.t - w && same(e));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('configs/payments.yaml', () => {
  it('declares failed logins over 10m, 30m and 1d with default 0, and spend sum, count and mean over 30, 60 and 90 days', () => {
    const node = (f: string) => compiled.nodes.find((n) => n.names.includes(f))!;
    expect(node('failed_logins')).toMatchObject({ source: 'logins', key: ['user_id'], params: { ops: ['count'], where: 'success == false', default: 0 } });
    expect(node('failed_logins').columns.get('failed_logins')).toEqual(['failed_logins_10m', 'failed_logins_30m', 'failed_logins_1d']);
    expect(node('spend').columns.get('spend')).toEqual(['spend_30d', 'spend_60d', 'spend_90d']);
    expect(node('txn_count').columns.get('txn_count')).toEqual(expect.arrayContaining(['txn_count_30d', 'txn_count_60d', 'txn_count_90d']));
    expect(node('spend_mean').columns.get('spend_mean')).toEqual(['spend_mean_30d', 'spend_mean_60d', 'spend_mean_90d']);
    expect(compiled.derived.find((d) => d.name === 'amount_z_7d')).toMatchObject({ source: 'transactions', uses: ['amount', 'amount_7d_mean', 'amount_7d_variance'] });
    const set = compiled.config.sets.find((s) => s.name === 'fraud_7d')!;
    for (const f of ['failed_logins', 'spend', 'txn_count', 'spend_mean', 'amount_z_7d', 'spend_by_bucket', 'spend_top_merchant', 'merchant_ip_success_rate']) expect(set.features, f).toContain(f);
  });

  it('counts failed logins per user in [t - w, t), 0 when there are none', async () => {
    const rows = fc
      .array(fc.record({ t: fc.integer({ min: 0, max: 3 * 24 * 60 }).map((m) => m * MIN), user_id: fc.constantFrom('u1', 'u2'), ip: fc.constant('1.2.3.4'), success: fc.boolean() }), { maxLength: 60 })
      .map((rs) => byTime(rs as InRow[]));
    await fc.assert(
      fc.asyncProperty(rows, cutsArb, async (rs, sizes) => {
        const got = await table('logins', rs, { user_id: 'string', ip: 'string', success: 'bool' }, sizes);
        const want = rs.map((r) => {
          const failed = (w: number) => before(rs, r, w, (e) => e.user_id === r.user_id && e.success === false).length;
          return { failed_logins_10m: failed(10 * MIN), failed_logins_30m: failed(30 * MIN), failed_logins_1d: failed(DAY) };
        });
        expectRows(got, want);
      }),
      { numRuns: 60 },
    );
  });

  it('computes card spend, the 7-day z-score, the spend at the most common merchant and the success rate over IPs', async () => {
    const types = { txn_id: 'string', card_id: 'string', user_id: 'string', merchant_id: 'string', merchant_bucket: 'string', amount: 'float64', ip: 'string', status: 'string' } as const;
    const rows = fc
      .array(
        fc.record({
          t: fc.integer({ min: 0, max: 200 }).map((h) => h * 12 * 3_600_000),
          card_id: fc.constantFrom('c1', 'c2'),
          merchant_id: fc.constantFrom('m1', 'm2', 'm3'),
          amount: fc.integer({ min: 100, max: 40_000 }).map((c) => c / 100),
          ip: fc.constantFrom('ip1', 'ip2', 'ip3'),
          status: fc.constantFrom('approved', 'approved', 'declined'),
        }),
        { maxLength: 60 },
      )
      .map((rs) => byTime(rs.map((r, i) => ({ ...r, txn_id: `t${i}`, user_id: r.card_id === 'c1' ? 'u1' : 'u2', merchant_bucket: 'retail' })) as InRow[]));
    await fc.assert(
      fc.asyncProperty(rows, cutsArb, async (rs, sizes) => {
        const got = await table('transactions', rs, types, sizes);
        const want = rs.map((r) => {
          const card = (w: number) => before(rs, r, w, (e) => e.card_id === r.card_id).map((e) => e.amount as number);
          const out: Record<string, Value> = {};
          for (const d of [30, 60, 90]) {
            const xs = card(d * DAY);
            out[`spend_${d}d`] = sum(xs);
            out[`txn_count_${d}d`] = xs.length;
            out[`spend_mean_${d}d`] = xs.length === 0 ? null : sum(xs) / xs.length;
          }
          const week = card(7 * DAY);
          const std = naiveStd(week);
          out.amount_7d_mean = week.length === 0 ? null : sum(week) / week.length;
          out.amount_7d_variance = std === null ? null : std * std;
          out.amount_z_7d = std === null || std === 0 ? null : ((r.amount as number) - sum(week) / week.length) / std;
          // The user's most common merchant over 90 days (ties: the latest used), and its share.
          const user = rs.filter((e) => e.t < r.t && e.t >= r.t - 90 * DAY && e.user_id === r.user_id);
          const per = new Map<Value, { n: number; s: number; last: number }>();
          user.forEach((e) => {
            const m = per.get(e.merchant_id!) ?? { n: 0, s: 0, last: 0 };
            per.set(e.merchant_id!, { n: m.n + 1, s: m.s + (e.amount as number), last: rs.indexOf(e) });
          });
          const mode = [...per.values()].reduce<{ n: number; s: number; last: number } | undefined>((b, m) => (b === undefined || m.n > b.n || (m.n === b.n && m.last > b.last) ? m : b), undefined);
          out.spend_top_merchant_sum = mode?.s ?? null;
          out.spend_top_merchant_share = mode === undefined ? null : mode.n / user.length;
          // The merchant's approval rate per IP over 30 days, averaged over its IPs.
          const ips = new Map<Value, { n: number; ok: number }>();
          before(rs, r, 30 * DAY, (e) => e.merchant_id === r.merchant_id).forEach((e) => {
            const g = ips.get(e.ip!) ?? { n: 0, ok: 0 };
            ips.set(e.ip!, { n: g.n + 1, ok: g.ok + (e.status === 'approved' ? 1 : 0) });
          });
          const rates = [...ips.values()].map((g) => g.ok / g.n);
          out.merchant_ip_success_rate = rates.length === 0 ? null : sum(rates) / rates.length;
          return out;
        });
        expectRows(got, want, 1e-7);
      }),
      { numRuns: 60 },
    );
  });
});
