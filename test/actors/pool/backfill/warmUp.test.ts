import { map } from 'rxjs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { stableGroups, tableWarmUps } from '../../../../src/actors/pool/backfill/warmUp.js';
import { compileFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { loadConfig, parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { defineFeature } from '../../../../src/sdk/defineFeature.js';
import { FeatureRegistry } from '../../../../src/sdk/registry.js';

const MIN = 60_000;
const DAY = 86_400_000;

const registry = () => FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
const warmUpsOf = (file: string, approximate = false) =>
  Object.fromEntries(tableWarmUps(compileFeatureSet(loadConfig(file), registry()), { approximate }).map((w) => [w.table, w]));

describe('table warm-ups of the example configs', () => {
  it('payments: counts are bounded by their windows; running sums need the whole log unless approximated', () => {
    const exact = warmUpsOf('configs/payments.yaml');
    expect(exact.logins!.ms).toBe(30 * DAY); // login_ips over 30d is the longest
    expect(exact.fraud_reports!.ms).toBe(90 * DAY);
    expect(exact.transactions!.ms).toBe(Infinity);
    expect(exact.transactions!.unbounded).toEqual([]);
    expect(exact.transactions!.rounding).toEqual(
      expect.arrayContaining(['spend', 'spend_mean', 'amount_stats', 'amount_7d', 'spend_by_bucket', 'spend_top_merchant', 'user_spend', 'merchant_ticket', 'merchant_ip_success_rate']),
    );
    expect(exact.transactions!.rounding).not.toContain('txn_count');
    const approx = warmUpsOf('configs/payments.yaml', true);
    expect(approx.transactions!.ms).toBe(90 * DAY);
    expect(approx.transactions!.rounding).toEqual([]);
    expect(approx.transactions!.approximated).toContain('spend');
  });

  it('market: decays, lags and the order book are unbounded; bars need one bar', () => {
    const w = warmUpsOf('configs/market.yaml', true);
    expect(w.trades!.unbounded).toEqual(['trade_price_ewma_30s']);
    expect(w.tickers!.unbounded).toEqual(['mid_volatility', 'mid_volatility_5m', 'mid_ewma_30s', 'mid_change_1m']);
    expect(w.book!.unbounded).toEqual(['l2']);
    expect([w.bar!.ms, w.bar_volume!.ms, w.ohlcv_1m!.ms]).toEqual([MIN, MIN, MIN]);
  });

  it('user_events: the clickstream table needs 28 days, the weekly tumbling table a week, period autofeatures the whole log', () => {
    const w = warmUpsOf('configs/user_events.yaml');
    expect(w.clickstream!.ms).toBe(28 * DAY);
    expect(w.weekly_events!.ms).toBe(7 * DAY);
    expect(w.user_weekly!.unbounded).toEqual(['user_weekly']);
    expect(w.transactions!.ms).toBe(Infinity);
    expect(warmUpsOf('configs/user_events.yaml', true).transactions!.ms).toBe(28 * DAY);
  });
});

const CONFIG = (features: string) => `
name: lookbacks
sources:
  s:
    time: ts
    keys: [k, k2]
    columns: { k: string, k2: int64, n: float64, label: string, flag: bool }
    derive: { kc: "if(n > 1, 'hi', 'lo')" }
features:
${features}
`;
const warmUp = (feature: string, approximate = false) => {
  const config = parseConfig(CONFIG(feature), { dir: process.cwd(), dataDir: process.cwd() });
  return tableWarmUps(compileFeatureSet(config, registry()), { approximate })[0]!;
};

describe('aggregate lookback', () => {
  it('sliding: the longest window, plus a bucket when bucketed; running sums flagged', () => {
    expect(warmUp('  - { name: f, source: s, op: count, windows: [10m, 1h] }')).toMatchObject({ ms: 60 * MIN, rounding: [] });
    expect(warmUp('  - { name: f, source: s, ops: [max, count_distinct], column: n, window: 10m }')).toMatchObject({ ms: 10 * MIN });
    expect(warmUp('  - { name: f, source: s, op: approx_percentile, percentile: 0.5, column: n, window: 10m }')).toMatchObject({ ms: 10 * MIN });
    expect(warmUp('  - { name: f, source: s, op: sum, column: n, window: 10m }')).toMatchObject({ ms: Infinity, rounding: ['f'] });
    expect(warmUp('  - { name: f, source: s, op: sum, column: n, window: 10m }', true)).toMatchObject({ ms: 10 * MIN, approximated: ['f'] });
    expect(warmUp('  - { name: f, source: s, op: max, column: n, window: 10m, bucket: 1m }')).toMatchObject({ ms: 11 * MIN });
  });

  it('is unbounded for all-history windows, sessions and bucketed percentiles', () => {
    expect(warmUp('  - { name: f, source: s, op: count, window: { session: 5m } }').unbounded).toEqual(['f']);
    // No window: all history (a lifetime count).
    expect(warmUp('  - { name: f, source: s, op: count }').unbounded).toEqual(['f']);
    expect(warmUp('  - { name: f, source: s, op: approx_percentile, percentile: 0.9, column: n, window: 1h, bucket: 1m }', true).ms).toBe(Infinity);
  });

  it('tumbling and hopping: the window size, when the groups are numbered stably', () => {
    expect(warmUp('  - { name: f, source: s, op: count, window: { tumbling: 1h } }').ms).toBe(60 * MIN);
    expect(warmUp('  - { name: f, source: s, key: k2, op: count, window: { hopping: 1h, every: 10m } }').ms).toBe(60 * MIN);
    expect(warmUp('  - { name: f, source: s, key: [], op: count, window: { tumbling: 1h } }').ms).toBe(60 * MIN);
    expect(warmUp('  - { name: f, source: s, key: label, op: count, window: { tumbling: 1h } }').ms).toBe(60 * MIN);
    // Rows of a window come out in group-code order: first-seen order for these groupings.
    expect(warmUp('  - { name: f, source: s, op: count, by: label, window: { tumbling: 1h } }').ms).toBe(Infinity);
    expect(warmUp('  - { name: f, source: s, key: [k, k2], op: count, window: { tumbling: 1h } }').ms).toBe(Infinity);
    expect(warmUp('  - { name: f, source: s, key: kc, op: count, window: { tumbling: 1h } }').ms).toBe(Infinity);
  });
});

describe('stableGroups', () => {
  const config = parseConfig(CONFIG('  - { name: f, source: s, op: count, window: 1m }'), { dir: process.cwd(), dataDir: process.cwd() });
  const s = config.sources.s!;
  it('holds for no column and for one column the log dictionary-encodes', () => {
    expect(stableGroups([], s)).toBe(true);
    expect(stableGroups(['k'], s)).toBe(true);
    expect(stableGroups(['k2'], s)).toBe(true); // an int64 key: dictionary-encoded in the log
    expect(stableGroups(['label'], s)).toBe(true);
  });
  it('fails for numbers, bools, computed columns and several columns', () => {
    expect(stableGroups(['n'], s)).toBe(false);
    expect(stableGroups(['flag'], s)).toBe(false);
    expect(stableGroups(['kc'], s)).toBe(false);
    expect(stableGroups(['k', 'k2'], s)).toBe(false);
  });
});

describe('a definition without a lookback hook', () => {
  it('makes its table unbounded, named in `unbounded`', () => {
    const reg = registry();
    reg.register(
      defineFeature({
        name: 'plain',
        version: 1,
        doc: 'n itself',
        kind: 'pointInTime',
        params: z.strictObject({}),
        inputs: () => ['n'],
        outputs: () => [{ name: '', type: 'float64' }],
        build: (_p, ctx) => map((b) => ({ length: b.length, time: b.time, columns: { [ctx.columns[0]!]: b.columns.n! } })),
      }),
    );
    const config = parseConfig(CONFIG('  - { name: f, source: s, definition: plain }\n  - { name: g, source: s, op: count, window: 1m }'), { dir: process.cwd(), dataDir: process.cwd() });
    const w = tableWarmUps(compileFeatureSet(config, reg))[0]!;
    expect(w).toMatchObject({ table: 's', ms: Infinity, unbounded: ['f'] });
  });
});
