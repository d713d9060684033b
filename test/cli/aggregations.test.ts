import { describe, expect, it } from 'vitest';
import { aggregationsCommand, listAggregations, type AggregationSeries } from '../../src/cli/commands/aggregations.js';
import { compileFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';

async function run(file: string, json: boolean): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await aggregationsCommand(file, { json }, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

describe('tributary aggregations', () => {
  it('lists the series of configs/payments.yaml, with bucket, retention and the features on each (--json)', async () => {
    const { code, text } = await run('configs/payments.yaml', true);
    expect(code).toBe(0);
    const { name, series } = JSON.parse(text) as { name: string; series: AggregationSeries[] };
    expect(name).toBe('payments');
    const of = (feature: string) => series.find((s) => s.features.some((f) => f.feature === feature))!;

    // Card spend: one stream (transactions, card_id, amount, no filter) kept for its longest window, 90 d.
    const amount = of('spend');
    expect(amount).toMatchObject({ source: 'transactions', key: ['card_id'], column: 'amount', where: null, window: 'sliding', retentionMs: 90 * 86_400_000, retention: '90d', bucket: { kind: 'events', ms: null } });
    expect(amount.features.map((f) => f.feature)).toEqual(['spend', 'spend_mean', 'amount_stats', 'amount_7d']);
    expect(amount.features.find((f) => f.feature === 'spend')).toMatchObject({ ops: ['sum'], windows: ['30d', '60d', '90d'], columns: ['spend_30d', 'spend_60d', 'spend_90d'] });
    expect(amount.derived).toEqual(expect.arrayContaining(['amount_z', 'amount_over_max', 'amount_z_7d']));

    // Failed logins: its own series (the filter makes it one), retention 1 d.
    expect(of('failed_logins')).toMatchObject({ source: 'logins', key: ['user_id'], column: null, where: 'success == false', retention: '1d', derived: ['login_failure_rate_1d'] });
    expect(of('login_attempts').where).toBeNull();

    // Grouping by a second column, and the payments definitions.
    expect(of('spend_by_bucket')).toMatchObject({ key: ['card_id', 'merchant_bucket'], by: 'merchant_bucket', retention: '30d' });
    expect(of('spend_top_merchant')).toMatchObject({ definition: 'mode_sum', key: ['user_id', 'merchant_id'], column: 'amount', retention: '90d' });
    expect(of('merchant_ip_success_rate')).toMatchObject({ definition: 'mean_group_rate', key: ['merchant_id', 'ip'], retention: '30d' });

    // Every windowed feature of the config is on exactly one series.
    const features = series.flatMap((s) => s.features.map((f) => f.feature));
    expect(new Set(features).size).toBe(features.length);
    expect(features).toEqual(expect.arrayContaining(['failed_logins', 'login_ips', 'txn_count', 'card_merchant_txns', 'declines', 'card_ips', 'user_spend', 'merchant_ticket', 'prior_fraud_reports']));
  });

  it('prints a table', async () => {
    const { code, text } = await run('configs/payments.yaml', false);
    expect(code).toBe(0);
    expect(text).toMatch(/aggregation series for \d+ features/);
    expect(text).toMatch(/source\s+key\s+column\s+where\s+window\s+bucket\s+retention\s+features/);
    expect(text).toMatch(/transactions\s+card_id\s+amount\s+-\s+sliding\s+none \(every event\)\s+90d\s+spend \[sum 30d,60d,90d\] spend_mean \[mean 30d,60d,90d\]/);
    expect(text).toContain('failed_logins [count 10m,30m,1d] → login_failure_rate_1d');
  });

  it('shows materialized buckets, panes, sessions, shared nodes and all-history windows', () => {
    const config = parseConfig(`name: t
sources:
  tx:
    time: ts
    keys: [card]
    columns: { card: string, amount: float64 }
features:
  - { name: a, source: tx, op: sum, column: amount, windows: [1d, 7d], bucket: 1h }
  - { name: b, source: tx, op: mean, column: amount, window: 2d, bucket: 1h }
  - { name: c, source: tx, op: sum, column: amount, windows: [1d, 7d], bucket: 1h }
  - { name: h, source: tx, op: count, window: { hopping: 1h, every: 20m } }
  - { name: s, source: tx, op: count, window: { session: 30m } }
  - { name: all, source: tx, op: max, column: amount }
`);
    const series = listAggregations(compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS)));
    const of = (f: string) => series.find((s) => s.features.some((u) => u.feature === f))!;
    expect(of('a')).toBe(of('b'));
    expect(of('a')).toMatchObject({ bucket: { kind: 'materialized', ms: 3_600_000, text: '1h' }, retentionMs: 7 * 86_400_000 + 3_600_000, retention: '7d + 1 bucket' });
    expect(of('a').features.map((f) => f.feature)).toEqual(['a', 'c', 'b']); // c shares a's node
    expect(of('h')).toMatchObject({ window: 'hopping', bucket: { kind: 'pane', ms: 20 * 60_000 }, retention: '1h' });
    expect(of('s')).toMatchObject({ window: 'session', retentionMs: null, retention: 'open sessions' });
    expect(of('all')).toMatchObject({ window: 'sliding', retentionMs: null, retention: 'all history' });
    expect(of('all')).not.toBe(of('a')); // no bucket: another series
  });
});
