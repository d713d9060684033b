import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import type { TableSpec } from '../../../src/store/features/tableSpec.js';
import { tempDir } from '../../helpers/tables.js';
import { EVENTS_SPEC, eventBatch, randomEvents, tableRows, WINDOW_SPEC, windowBatch, type EventRow } from './fixtures/tables.js';

const tmp = tempDir('tributary-store-');
afterAll(() => tmp.remove());
let dirs = 0;
const freshDir = () => join(tmp.dir, `store-${dirs++}`);

/** Append rows in batches of varying sizes, each batch on fresh dictionaries (so codes must be translated). */
function appendInBatches(store: FeatureStore, table: string, rows: readonly EventRow[], sizes = [1, 7, 3, 16, 5]): { appended: number; duplicates: number } {
  let at = 0;
  let i = 0;
  const total = { appended: 0, duplicates: 0 };
  while (at < rows.length) {
    const n = sizes[i++ % sizes.length]!;
    const r = store.append(table, eventBatch(rows.slice(at, at + n)));
    total.appended += r.appended;
    total.duplicates += r.duplicates;
    at += n;
  }
  return total;
}

const asRows = (rows: readonly EventRow[]) => rows.map((r) => ({ ts: r.ts, card_id: r.card_id, user_id: r.user_id, spend: r.spend, logins: r.logins }));
const allRows = (store: FeatureStore) => tableRows(store.getFeatures(['spend', 'logins']));

describe('feature store: append, persist, reopen', () => {
  it('reopens with identical rows, codes, online view and as-of answers', async () => {
    const dir = freshDir();
    const rows = randomEvents(100, 1);
    const store = await FeatureStore.open(dir, { chunkRows: 8, segmentRows: 16 });
    await store.defineTable(EVENTS_SPEC);
    expect(appendInBatches(store, 'txns', rows)).toEqual({ appended: 100, duplicates: 0 });
    expect(allRows(store)).toEqual(asRows(rows));
    await store.flush();
    expect(store.stats()).toEqual({ txns: { rows: 100, persisted: 100 } });
    const files = readdirSync(join(dir, 'txns'));
    expect(files).toContain('manifest.json');
    expect(files.filter((f) => f.endsWith('.arrow'))).toHaveLength(7); // 100 rows in segments of 16
    expect(files.some((f) => f.includes('.tmp'))).toBe(false);

    const again = await FeatureStore.open(dir, { chunkRows: 8, segmentRows: 16 });
    expect(again.tableNames()).toEqual(['txns']);
    expect(allRows(again)).toEqual(allRows(store));
    for (const k of ['card_id', 'user_id']) expect(again.table('txns').dictionary(k).values).toEqual(store.table('txns').dictionary(k).values);
    const now = rows.at(-1)!.ts;
    for (const card of ['c0', 'c1', 'c2', 'c3', 'c4']) {
      for (const user of ['u0', 'u1', 'u2']) {
        const key = { card_id: card, user_id: user };
        expect(again.latest(['spend', 'logins'], key, now)).toEqual(store.latest(['spend', 'logins'], key, now));
      }
    }
    const qTimes = rows.map((r) => r.ts + 1);
    const qCards = rows.map((_, i) => `c${i % 5}`);
    expect(again.asOf('txns', { card_id: qCards }, qTimes)).toEqual(store.asOf('txns', { card_id: qCards }, qTimes));
    expect(again.getFeatures(['spend']).schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['ts:Timestamp<MILLISECOND, UTC>', 'card_id:Dictionary<Int32, Utf8>', 'user_id:Dictionary<Int32, Utf8>', 'spend:Float64']);

    // Rows appended after the reopen are persisted after the earlier ones.
    const more = randomEvents(10, 2).map((r) => ({ ...r, ts: r.ts + 365 * 86_400_000 }));
    expect(again.append('txns', eventBatch(more))).toEqual({ appended: 10, duplicates: 0 });
    await again.close();
    const third = await FeatureStore.open(dir, { chunkRows: 8 });
    expect(allRows(third)).toEqual(asRows([...rows, ...more]));
  });

  it('keeps window tables, with window_start, through a reopen', async () => {
    const dir = freshDir();
    const store = await FeatureStore.open(dir);
    await store.defineTable(WINDOW_SPEC);
    const h = 3_600_000;
    const rows = [
      { window_start: 0, window_end: h, card_id: 'c1', hourly: 3 },
      { window_start: 0, window_end: h, card_id: 'c2', hourly: null },
      { window_start: h, window_end: 2 * h, card_id: 'c1', hourly: 5 },
    ];
    expect(store.append('hourly', windowBatch(rows))).toEqual({ appended: 3, duplicates: 0 });
    await store.flush();
    const again = await FeatureStore.open(dir);
    expect(tableRows(again.getFeatures(['hourly']))).toEqual(rows.map((r) => ({ window_end: r.window_end, card_id: r.card_id, window_start: r.window_start, hourly: r.hourly })));
    expect(again.latest(['hourly'], { card_id: 'c1' }, 2 * h)).toEqual({ hourly: 5 });
  });

  it('refuses a table whose spec changed, unless told to replace it', async () => {
    const dir = freshDir();
    const store = await FeatureStore.open(dir);
    await store.defineTable(EVENTS_SPEC);
    store.append('txns', eventBatch(randomEvents(5, 3)));
    await store.flush();
    const changed: TableSpec = { ...EVENTS_SPEC, features: EVENTS_SPEC.features.map((f) => ({ ...f, default: 1 })) };
    await expect(store.defineTable(changed)).rejects.toThrow(/replay the feature set/);
    expect((await store.defineTable(EVENTS_SPEC)).length).toBe(5);
    await store.defineTable(changed, { replace: true });
    expect(store.table('txns').length).toBe(0);
    expect(readdirSync(join(dir, 'txns')).filter((f) => f.endsWith('.arrow'))).toEqual([]);
    expect((await FeatureStore.open(dir)).table('txns').length).toBe(0);
  });
});

describe('feature store: idempotent appends', () => {
  it('appending the same rows twice stores them once', async () => {
    const store = FeatureStore.inMemory({ chunkRows: 8 });
    await store.defineTable(EVENTS_SPEC);
    const rows = randomEvents(80, 4);
    appendInBatches(store, 'txns', rows);
    store.beginDelivery('txns');
    expect(appendInBatches(store, 'txns', rows, [9, 2, 30])).toEqual({ appended: 0, duplicates: 80 });
    expect(allRows(store)).toEqual(asRows(rows));
  });

  it('a reopened store recognises every row it persisted', async () => {
    const dir = freshDir();
    const rows = randomEvents(60, 5);
    const store = await FeatureStore.open(dir, { chunkRows: 8 });
    await store.defineTable(EVENTS_SPEC);
    appendInBatches(store, 'txns', rows);
    await store.close();
    const again = await FeatureStore.open(dir, { chunkRows: 8 });
    expect(appendInBatches(again, 'txns', rows, [4])).toEqual({ appended: 0, duplicates: 60 });
  });

  it('a recovery that re-sends a stretch adds only the rows that are new', async () => {
    const rows = randomEvents(120, 6);
    // Resume where a new time starts (a checkpoint sits between events of different times).
    let cut = 50;
    while (rows[cut]!.ts === rows[cut - 1]!.ts) cut++;
    const store = FeatureStore.inMemory({ chunkRows: 16 });
    await store.defineTable(EVENTS_SPEC);
    appendInBatches(store, 'txns', rows.slice(0, 90));
    store.beginDelivery();
    const r = appendInBatches(store, 'txns', rows.slice(cut), [11, 4]);
    expect(r).toEqual({ appended: 30, duplicates: 90 - cut });
    expect(allRows(store)).toEqual(asRows(rows));
  });

  it('equal-time rows of one key split across batches are all kept, and counted by ordinal on re-delivery', async () => {
    const store = FeatureStore.inMemory();
    await store.defineTable(EVENTS_SPEC);
    const tie = (spend: number): EventRow => ({ ts: 5000, card_id: 'c1', user_id: 'u1', spend, logins: 1 });
    const dicts = { card_id: new Dictionary(), user_id: new Dictionary() };
    expect(store.append('txns', eventBatch([tie(1), tie(2)], dicts))).toEqual({ appended: 2, duplicates: 0 });
    expect(store.append('txns', eventBatch([tie(3)], dicts))).toEqual({ appended: 1, duplicates: 0 });
    // A new delivery sends four rows at that key and time: the first three are the stored ones.
    store.beginDelivery('txns');
    expect(store.append('txns', eventBatch([tie(1), tie(2), tie(3), tie(4)], dicts))).toEqual({ appended: 1, duplicates: 3 });
    expect(allRows(store).map((r) => r.spend)).toEqual([1, 2, 3, 4]);
  });

  it('window rows are identified by key and window_start', async () => {
    const store = FeatureStore.inMemory();
    await store.defineTable(WINDOW_SPEC);
    const h = 3_600_000;
    const w = (start: number, card: string, v: number) => ({ window_start: start, window_end: start + h, card_id: card, hourly: v });
    expect(store.append('hourly', windowBatch([w(0, 'c1', 1), w(0, 'c2', 2)]))).toEqual({ appended: 2, duplicates: 0 });
    expect(store.append('hourly', windowBatch([w(0, 'c1', 1), w(0, 'c2', 2), w(h, 'c1', 3)]))).toEqual({ appended: 1, duplicates: 2 });
    expect(tableRows(store.getFeatures(['hourly'])).map((r) => [r.card_id, r.window_start])).toEqual([['c1', 0], ['c2', 0], ['c1', h]]);
  });
});

describe('feature store: online view', () => {
  const spec: TableSpec = {
    ...EVENTS_SPEC,
    features: [
      { name: 'spend', columns: ['spend'], key: ['card_id'], default: 0, maxStaleness: 3_600_000 },
      { name: 'logins', columns: ['logins'], key: ['user_id'], maxStaleness: 7_200_000 },
    ],
  };
  const T = Date.UTC(2024, 0, 1);
  const rows: EventRow[] = [
    { ts: T, card_id: 'c1', user_id: 'u1', spend: 5, logins: 1 },
    { ts: T + 60_000, card_id: 'c1', user_id: 'u2', spend: 10, logins: 2 },
    { ts: T + 120_000, card_id: 'c2', user_id: 'u1', spend: null, logins: 3 },
  ];

  it('serves the latest row of each feature key, and the default or null once it is too old', async () => {
    const store = FeatureStore.inMemory();
    await store.defineTable(spec);
    store.append('txns', eventBatch(rows));
    const fresh = T + 30 * 60_000;
    expect(store.latest(['spend', 'logins'], { card_id: 'c1', user_id: 'u1' }, fresh)).toEqual({ spend: 10, logins: 3 });
    // A null value in the latest row is served as null: the default stands in only for a missing or stale row.
    expect(store.latest(['spend'], { card_id: 'c2' }, fresh)).toEqual({ spend: null });
    // c1's latest row is 61 min old at T + 61 min + 1 ms: spend (1 h) is stale, logins (2 h) is not.
    const later = T + 60_000 + 3_600_001;
    expect(store.latest(['spend', 'logins'], { card_id: 'c1', user_id: 'u2' }, later)).toEqual({ spend: 0, logins: 2 });
    // Exactly at the limit is still fresh.
    expect(store.latest(['spend'], { card_id: 'c1' }, T + 60_000 + 3_600_000)).toEqual({ spend: 10 });
    // logins has no default: stale means null.
    expect(store.latest(['logins'], { user_id: 'u2' }, T + 60_000 + 7_200_001)).toEqual({ logins: null });
    // A key never seen: the default, or null.
    expect(store.latest(['spend', 'logins'], { card_id: 'nope', user_id: 'nope' }, fresh)).toEqual({ spend: 0, logins: null });
    // Equal times: the last appended row is the latest.
    store.append('txns', eventBatch([{ ts: T + 180_000, card_id: 'c3', user_id: 'u3', spend: 1, logins: 1 }, { ts: T + 180_000, card_id: 'c3', user_id: 'u4', spend: 2, logins: 1 }]));
    expect(store.latest(['spend'], { card_id: 'c3' }, fresh)).toEqual({ spend: 2 });
    const plan = store.planOnline(['spend', 'logins']);
    const v = store.fetchOnline(plan, { card_id: ['c1'], user_id: ['u2'] }, 1, later);
    expect([...v.stale]).toEqual([1, 0]);
  });

  it('updates as rows arrive, keyed by each feature key', async () => {
    const store = FeatureStore.inMemory({ chunkRows: 8 });
    await store.defineTable(spec);
    const all = randomEvents(200, 7);
    for (let i = 0; i < all.length; i += 13) {
      store.append('txns', eventBatch(all.slice(i, i + 13)));
      const seen = all.slice(0, i + 13);
      for (const card of ['c0', 'c3']) {
        const last = seen.filter((r) => r.card_id === card).at(-1);
        expect(store.latest(['spend'], { card_id: card }, last?.ts ?? 0)).toEqual({ spend: last === undefined ? 0 : last.spend });
      }
    }
  });
});

describe('feature store: getFeatures', () => {
  const rows = randomEvents(300, 8, 6, 4);
  const storeP = (async () => {
    const s = FeatureStore.inMemory({ chunkRows: 16 });
    await s.defineTable(EVENTS_SPEC);
    await s.defineTable(WINDOW_SPEC);
    appendInBatches(s, 'txns', rows);
    return s;
  })();

  it('matches a naive filter over keys and a time range', async () => {
    const store = await storeP;
    const t0 = rows[0]!.ts;
    const t1 = rows.at(-1)!.ts;
    const cases: { keys?: Record<string, string[]>; from?: number; to?: number }[] = [
      {},
      { keys: { card_id: ['c1', 'c4', 'never'] } },
      { keys: { card_id: ['c2'], user_id: ['u0', 'u3'] } },
      { from: (t0 + t1) / 2 },
      { to: rows[40]!.ts },
      { keys: { user_id: ['u1'] }, from: rows[100]!.ts, to: rows[200]!.ts },
      { keys: { card_id: [] } },
    ];
    for (const q of cases) {
      const want = rows.filter(
        (r) =>
          (q.from === undefined || r.ts >= q.from) &&
          (q.to === undefined || r.ts < q.to) &&
          (q.keys?.card_id === undefined || q.keys.card_id.includes(r.card_id)) &&
          (q.keys?.user_id === undefined || q.keys.user_id.includes(r.user_id)),
      );
      const got = tableRows(store.getFeatures(['logins'], q));
      expect(got, JSON.stringify(q)).toEqual(want.map((r) => ({ ts: r.ts, card_id: r.card_id, user_id: r.user_id, logins: r.logins })));
    }
  });

  it('rejects unknown names with a suggestion, and names from two tables', async () => {
    const store = await storeP;
    expect(() => store.getFeatures(['spnd'])).toThrow(/unknown feature "spnd"; did you mean "spend"\?/);
    expect(() => store.getFeatures(['spend', 'hourly'])).toThrow(/one table at a time/);
    expect(() => store.getFeatures(['spend'], { keys: { crd_id: ['c1'] } })).toThrow(/no key column "crd_id"/);
  });
});

describe('feature store: background persistence', () => {
  it('writes a segment in the background once a segment of rows waits', async () => {
    const dir = freshDir();
    const store = await FeatureStore.open(dir, { segmentRows: 10 });
    await store.defineTable(EVENTS_SPEC);
    store.append('txns', eventBatch(randomEvents(25, 13)));
    for (let i = 0; i < 200 && store.stats().txns!.persisted < 25; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.stats().txns).toEqual({ rows: 25, persisted: 25 });
    expect(readdirSync(join(dir, 'txns')).filter((f) => f.endsWith('.arrow'))).toHaveLength(3);
    store.append('txns', eventBatch(randomEvents(3, 14).map((r) => ({ ...r, ts: r.ts + 1e10 }))));
    expect(store.stats().txns).toEqual({ rows: 28, persisted: 25 });
    await store.flush();
    expect((await FeatureStore.open(dir)).table('txns').length).toBe(28);
  });
});

describe('feature store: folder layout', () => {
  it('writes <dir>/<table>/manifest.json and segments, nothing for an in-memory store', async () => {
    const dir = freshDir();
    const store = await FeatureStore.open(dir);
    await store.defineTable(EVENTS_SPEC);
    expect(existsSync(join(dir, 'txns', 'manifest.json'))).toBe(true);
    const mem = FeatureStore.inMemory();
    await mem.defineTable(EVENTS_SPEC);
    mem.append('txns', eventBatch(randomEvents(3, 9)));
    await mem.flush();
    expect(mem.dir).toBeUndefined();
  });
});
