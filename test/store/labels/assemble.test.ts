import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { assembleSet, MissingTableError } from '../../../src/store/labels/assemble.js';
import { featureMatrix } from '../../../src/store/labels/featureMatrix.js';
import { MemoryEvents, MemoryTables } from '../../../src/store/labels/memorySources.js';
import { SET_METADATA } from '../../../src/store/labels/setMetadata.js';
import { batchOf, compileText, numberAt } from './helpers.js';

const MIN = 60_000;

const CONFIG = (extra = '') => `
name: shop
sources:
  orders: { time: t, keys: [user, merchant], columns: { user: string, merchant: string, amount: float64 } }
  logins: { time: t, keys: [user], columns: { user: string, ok: bool } }
  merchants: { time: t, keys: [merchant], columns: { merchant: string, rating: float64 } }
  refunds: { time: t, keys: [user], columns: { user: string, amount: float64 } }
features:
  - { name: user_orders, source: orders, key: user, op: count, default: 0 }
  - { name: logins_1d, source: logins, op: count, window: 1d, default: 0 }
  - { name: merchant_rating, source: merchants, op: mean, column: rating, window: 30d }
  - { name: rating_per_login, expr: "merchant_rating / max(logins_1d, 1)" }
  - { name: daily_logins, source: logins, op: count, window: { tumbling: 1d } }
labels:
  - { name: refunded, source: refunds, kind: event_within, horizon: 1h }
  - { name: refund_amount, source: refunds, op: sum, column: amount, horizon: 1h, default: 0, expr: "value / amount" }
sets:
  - name: s
    spine: orders
    features: [user_orders, logins_1d, merchant_rating, rating_per_login, daily_logins]
    label: refunded
    tolerance: 10m
  - { name: amounts, spine: orders, where: "amount > 15", features: [user_orders], label: refund_amount }
${extra}`;

// Orders (the spine): u1 at m1 and m2, u2 at m1. Times in minutes.
const orders = batchOf([100 * MIN, 130 * MIN, 200 * MIN, 300 * MIN], {
  user: ['u1', 'u2', 'u1', 'u1'],
  merchant: ['m1', 'm1', 'm2', 'm1'],
  amount: [10, 20, 30, 40],
  user_orders: [0, 0, 1, 2],
});
// Login rows: for u1, one exactly 10 min before the order at 100 (within tolerance), one 10 min + 1 ms before the order at 200.
const logins = batchOf([90 * MIN, 190 * MIN - 1, 295 * MIN], { user: ['u1', 'u1', 'u1'], ok: [1, 1, 1], logins_1d: [3, 5, 7] }, ['u9', 'u1']);
const merchants = batchOf([50 * MIN, 150 * MIN, 299 * MIN], { merchant: ['m1', 'm2', 'm1'], rating: [4, 2, 5], merchant_rating: [4, 2, null] });
// A windowed table: time = window_end.
const daily = batchOf([99 * MIN, 250 * MIN], { user: ['u1', 'u1'], window_start: [0, 0], daily_logins: [11, 12] });
// Refunds: u1 within the hour after 100; u2 never; the last refund at 320 min.
const refunds = batchOf([120 * MIN, 320 * MIN], { user: ['u1', 'u3'], amount: [5, 1] });

const inputs = () => ({
  tables: new MemoryTables({ orders: [orders], logins: [logins], merchants: [merchants], daily_logins: [daily] }),
  events: new MemoryEvents({ refunds: [refunds] }),
});

const col = (t: { getChild(n: string): unknown }, name: string, rows: number) =>
  Array.from({ length: rows }, (_, i) => numberAt(t.getChild(name) as { get(i: number): unknown }, i));

describe('assembleSet', () => {
  it('joins each feature on its own key, within the tolerance, and drops rows whose label window runs past the data', async () => {
    const set = await assembleSet(compileText(CONFIG()), 's', inputs());
    // 300 min + 1 h > 320 min (the last refund): dropped.
    expect(set.counts).toEqual({ spine: 4, filtered: 0, droppedPastEnd: 1, kept: 3, nullLabels: 0 });
    const t = set.table;
    expect(col(t, 't', 3)).toEqual([100 * MIN, 130 * MIN, 200 * MIN]);
    expect(col(t, 'user_orders', 3)).toEqual([0, 0, 1]); // the spine's own column
    // u1 at 100: login row at 90 is exactly 10 min old (kept); u2: none; u1 at 200: 10 min + 1 ms old (null).
    expect(col(t, 'logins_1d', 3)).toEqual([3, null, null]);
    // Joined on merchant: every merchant row is older than 10 min at its order, so null.
    expect(col(t, 'merchant_rating', 3)).toEqual([null, null, null]);
    expect(col(t, 'refunded', 3)).toEqual([1, 0, 0]);
    // The windowed table: the window that ended at 99 min, 1 min before the order at 100.
    expect(col(t, 'daily_logins', 3)).toEqual([11, null, null]);
  });

  it('without a tolerance, keeps old values; a derived feature mixing sources is computed on the joined values', async () => {
    const set = await assembleSet(compileText(CONFIG().replace('tolerance: 10m', '')), 's', inputs());
    const t = set.table;
    expect(col(t, 'logins_1d', 3)).toEqual([3, null, 5]);
    expect(col(t, 'merchant_rating', 3)).toEqual([4, 4, 2]);
    // merchant_rating / max(logins_1d, 1): null where logins_1d is null (min/max are null on null input).
    expect(col(t, 'rating_per_login', 3)).toEqual([4 / 3, null, 2 / 5]);
    expect(col(t, 'daily_logins', 3)).toEqual([11, null, 11]);
    const features = JSON.parse(t.schema.metadata.get(SET_METADATA.features)!) as { column: string; from: string; key?: string[] }[];
    expect(features.map((f) => [f.column, f.from, f.key?.join(',') ?? ''])).toEqual([
      ['user_orders', 'spine', ''],
      ['logins_1d', 'asof', 'user'],
      ['merchant_rating', 'asof', 'merchant'],
      ['rating_per_login', 'derived', ''],
      ['daily_logins', 'asof', 'user'],
    ]);
  });

  it('inference: keeps the rows past the end of the data, with a null label', async () => {
    const set = await assembleSet(compileText(CONFIG()), 's', inputs(), { inference: true });
    expect(set.counts).toEqual({ spine: 4, filtered: 0, droppedPastEnd: 0, kept: 4, nullLabels: 1 });
    expect(col(set.table, 'refunded', 4)).toEqual([1, 0, 0, null]);
    expect(JSON.parse(set.table.schema.metadata.get(SET_METADATA.rows)!)).toMatchObject({ kept: 4, dropped_past_end: 0, null_labels: 1 });
  });

  it('a label source with no events: every row is past the end (dropped, or null in an inference set)', async () => {
    const empty = { ...inputs(), events: new MemoryEvents({ refunds: [] }) };
    expect((await assembleSet(compileText(CONFIG()), 's', empty)).counts).toMatchObject({ kept: 0, droppedPastEnd: 4 });
    const inf = await assembleSet(compileText(CONFIG()), 's', empty, { inference: true });
    expect(inf.counts).toMatchObject({ kept: 4, droppedPastEnd: 0, nullLabels: 4 });
  });

  it('where filters spine rows (counted); default fills empty windows; expr reads value and the spine columns', async () => {
    const set = await assembleSet(compileText(CONFIG()), 'amounts', inputs());
    // amount > 15 keeps 130, 200 and 300; 300 is past the end.
    expect(set.counts).toEqual({ spine: 4, filtered: 1, droppedPastEnd: 1, kept: 2, nullLabels: 0 });
    // u2 at 130: no refund -> default 0, / 20; u1 at 200: refunds of u1 in (200, 260]: none -> 0.
    expect(col(set.table, 'refund_amount', 2)).toEqual([0, 0]);
    const set2 = await assembleSet(compileText(CONFIG().replace('amount > 15', 'amount < 15')), 'amounts', inputs());
    expect(col(set2.table, 'refund_amount', 1)).toEqual([5 / 10]);
  });

  it('lays the features out as one contiguous row-major Float32 buffer, NaN for null, kept through Arrow IPC', async () => {
    const set = await assembleSet(compileText(CONFIG().replace('tolerance: 10m', '')), 's', inputs());
    const t = set.table;
    const rows = t.numRows;
    const width = set.featureColumns.length;
    const data = t.getChild('features')!.data;
    expect(data).toHaveLength(1);
    const child = data[0]!.children[0]!.values as Float32Array;
    expect(child).toBeInstanceOf(Float32Array);
    expect(child.length).toBe(rows * width);
    expect(child).toBe(set.matrix); // the very buffer: no copy
    const check = (m: Float32Array) => {
      set.featureColumns.forEach((name, j) => {
        for (let i = 0; i < rows; i++) {
          const v = numberAt(t.getChild(name), i);
          const x = m[i * width + j]!;
          if (v === null) expect(Number.isNaN(x)).toBe(true);
          else expect(x).toBe(Math.fround(v));
        }
      });
    };
    check(child);
    const back = tableFromIPC(tableToIPC(t, 'file'));
    const view = featureMatrix(back);
    expect(view).toMatchObject({ rows, width });
    expect(view.data.length).toBe(rows * width);
    // A view over the IPC bytes, not a copy of them.
    expect(view.data.buffer).toBe((back.getChild('features')!.data[0]!.children[0]!.values as Float32Array).buffer);
    check(view.data);
  });

  it('reports a feature whose key column the spine lacks at the set in the config', async () => {
    const text = CONFIG(`  - { name: bad, spine: logins, features: [logins_1d, merchant_rating], label: refunded }\n`);
    const err = await assembleSet(compileText(text), 'bad', inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const p = (err as ConfigError).problems[0]!;
    expect(p.path).toBe('sets[2].features[1]');
    expect(p.line).toBeGreaterThan(20);
    expect(p.message).toContain('"merchant_rating" joins on merchant');
  });

  it('reports a label key the spine lacks at the label, and a missing table by name', async () => {
    const text = CONFIG(`  - { name: m, spine: merchants, features: [merchant_rating], label: refunded }\n`);
    const err = await assembleSet(compileText(text), 'm', inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]!.path).toBe('labels[0].key');
    const missing = await assembleSet(compileText(CONFIG()), 's', { ...inputs(), tables: new MemoryTables({ orders: [orders] }) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MissingTableError);
  });
});
