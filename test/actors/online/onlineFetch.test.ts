import { join } from 'node:path';
import { Request } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnlineServer, type OnlineServer } from '../../../src/actors/online/onlineServer.js';
import { serveCommand } from '../../../src/cli/commands/serve.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import { OnlineClient, OnlineFetchError } from '../../../src/sdk/onlineClient.js';
import { tempDir } from '../../helpers/tables.js';
import { MIN, replayShop, T0 } from './fixtures.js';

const tmp = tempDir('tributary-online-');
let server: OnlineServer;
let client: OnlineClient;
let base: string;
let file: string;
let compiled: Awaited<ReturnType<typeof replayShop>>['compiled'];
const NOW = T0 + 100 * MIN; // 01:40, ten minutes after c1's latest row

beforeAll(async () => {
  const shop = await replayShop(tmp.dir);
  file = shop.file;
  compiled = shop.compiled;
  // As `tributary serve` does: a fresh process opens the store the replay persisted.
  const store = await FeatureStore.open(join(shop.config.dataDir, 'store'));
  server = await startOnlineServer(store, shop.compiled, { zmq: 'tcp://127.0.0.1:*', http: 0 });
  client = await OnlineClient.connect(server.zmq!);
  base = `http://127.0.0.1:${server.http}`;
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  tmp.remove();
});

/** One raw request over a REQ socket (what any ZeroMQ client, in any language, would do). */
async function rawZmq(body: string | Buffer): Promise<Record<string, unknown>> {
  const req = new Request({ linger: 0, receiveTimeout: 5000 });
  req.connect(server.zmq!);
  try {
    await req.send(body);
    const [reply] = await req.receive();
    return JSON.parse(reply!.toString()) as Record<string, unknown>;
  } finally {
    req.close();
  }
}

describe('online fetch after replay', () => {
  it('serves a key its latest vector over ZeroMQ, every feature of the key by default', async () => {
    const v = await client.fetch({ card_id: 'c1' }, undefined, { now: NOW });
    expect(v).toEqual({ spend_1d: 30, txn_count_1d: 2, amount_ratio: 40 / 30, hourly_spend: 40 });
    expect(await client.fetch({ card_id: 'c2' }, undefined, { now: NOW })).toEqual({ spend_1d: 0, txn_count_1d: 0, amount_ratio: 5, hourly_spend: 5 });
  });

  it('computes derived features that mix sources at fetch time', async () => {
    const v = await client.fetch({ card_id: 'c1', user_id: 'u1' }, ['risk', 'spend_1d', 'failed_logins_1h'], { now: NOW });
    expect(v).toEqual({ risk: 15, spend_1d: 30, failed_logins_1h: 2 });
    // With both key columns, the default vector includes the mixed features too.
    expect(Object.keys(await client.fetch({ card_id: 'c1', user_id: 'u1' }, undefined, { now: NOW }))).toEqual([
      'spend_1d', 'txn_count_1d', 'amount_ratio', 'failed_logins_1h', 'hourly_spend', 'risk',
    ]);
  });

  it('serves many keys in one request, in order, and unknown keys their defaults or null', async () => {
    const v = await client.fetch(
      [{ card_id: 'c1', user_id: 'u2' }, { card_id: 'c2', user_id: 'u1' }, { card_id: 'nope', user_id: 'nobody' }],
      ['spend_1d', 'txn_count_1d', 'failed_logins_1h', 'risk'],
      { now: NOW },
    );
    expect(v).toEqual([
      { spend_1d: 30, txn_count_1d: 2, failed_logins_1h: 0, risk: 30 },
      { spend_1d: 0, txn_count_1d: 0, failed_logins_1h: 2, risk: 0 },
      { spend_1d: 0, txn_count_1d: null, failed_logins_1h: 0, risk: 0 },
    ]);
  });

  it('honours max_staleness against the request time: a stale spend is its default', async () => {
    const stale = await client.request({ keys: { card_id: 'c1', user_id: 'u1' }, features: ['spend_1d', 'txn_count_1d', 'risk'], now: T0 + 90 * MIN + 2 * 60 * MIN + 1 });
    expect(stale).toMatchObject({ values: { spend_1d: 0, txn_count_1d: 2, risk: 0 }, stale: ['spend_1d'] });
    const fresh = await client.request({ keys: { card_id: 'c1' }, features: ['spend'], now: '2024-01-01T03:30:00Z' });
    expect(fresh).toEqual({ id: expect.any(Number), values: { spend_1d: 30 } });
  });

  it('answers over HTTP: GET, POST and healthz', async () => {
    const get = await fetch(`${base}/features?card_id=c1&user_id=u1&features=spend_1d,risk&now=${NOW}`);
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ values: { spend_1d: 30, risk: 15 } });
    const many = await fetch(`${base}/features?card_id=c1&card_id=c2&features=txn_count_1d&now=${NOW}`);
    expect(await many.json()).toEqual({ results: [{ values: { txn_count_1d: 2 } }, { values: { txn_count_1d: 0 } }] });
    const post = await fetch(`${base}/features`, { method: 'POST', body: JSON.stringify({ keys: { card_id: 'c2' }, features: ['amount_ratio'], now: NOW }) });
    expect(await post.json()).toEqual({ values: { amount_ratio: 5 } });
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, feature_set: 'shop', tables: { txns: { rows: 4, persisted: 4 }, logins: { rows: 4 } } });
  });

  it('answers many clients at once, and many requests in flight on one client', async () => {
    const others = await Promise.all([1, 2, 3].map(() => OnlineClient.connect(server.zmq!)));
    try {
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const c = i % 4 === 0 ? client : others[i % 3]!;
          const card = i % 2 === 0 ? 'c1' : 'c2';
          return c.fetch({ card_id: card }, ['txn_count_1d'], { now: NOW }).then((v) => [card, v.txn_count_1d]);
        }),
      );
      for (const [card, count] of replies) expect(count).toBe(card === 'c1' ? 2 : 0);
    } finally {
      await Promise.all(others.map((c) => c.close()));
    }
  });
});

describe('online fetch: bad requests get an error reply, never a crash', () => {
  it('over ZeroMQ', async () => {
    expect(await rawZmq('{"keys": {"card_id": "c1"')).toMatchObject({ error: expect.stringMatching(/^the request is not valid JSON/) });
    expect(await rawZmq('[1, 2]')).toMatchObject({ error: expect.stringMatching(/a request is a JSON object/) });
    expect(await rawZmq(JSON.stringify({ id: 7, keys: { card_id: 'c1' }, features: ['spnd_1d'] }))).toEqual({ id: 7, error: 'unknown feature "spnd_1d"; did you mean "spend_1d"?' });
    expect(await rawZmq(JSON.stringify({ keys: { crad_id: 'c1' } }))).toMatchObject({ error: expect.stringMatching(/^unknown key column "crad_id"; did you mean "card_id"\?/) });
    expect(await rawZmq(JSON.stringify({ keys: { card_id: 'c1' }, features: ['risk'] }))).toEqual({ error: 'keys has no "user_id", which feature "risk" needs' });
    expect(await rawZmq(JSON.stringify({ keys: { card_id: { nested: 1 } } }))).toEqual({ error: 'keys.card_id must be a string or a number' });
    expect(await rawZmq(JSON.stringify({ keys: [] }))).toMatchObject({ error: expect.stringMatching(/"keys" is empty/) });
    expect(await rawZmq(JSON.stringify({ keys: { card_id: 'c1' }, now: 'yesterday' }))).toMatchObject({ error: expect.stringMatching(/"now" must be/) });
    expect(await rawZmq(JSON.stringify({ keys: { card_id: 'c1' }, limit: 3 }))).toMatchObject({ error: expect.stringMatching(/unknown request field "limit"/) });
    const huge = JSON.stringify({ keys: { card_id: 'c1' }, features: ['spend_1d'], pad: 'x'.repeat(2 << 20) });
    expect(await rawZmq(huge)).toMatchObject({ error: expect.stringMatching(/over the limit of 1048576/) });
    const tooMany = JSON.stringify({ keys: Array.from({ length: 10_001 }, () => ({ card_id: 'c1' })) });
    expect(await rawZmq(tooMany)).toMatchObject({ error: expect.stringMatching(/over the limit of 10000/) });
    // Still serving.
    expect(await client.fetch({ card_id: 'c1' }, ['txn_count_1d'], { now: NOW })).toEqual({ txn_count_1d: 2 });
    await expect(client.fetch({ card_id: 'c1' }, ['nope'])).rejects.toThrow(OnlineFetchError);
  });

  it('over HTTP', async () => {
    const bad = async (init: { path: string; method?: string; body?: string }, status: number, message: RegExp) => {
      const r = await fetch(`${base}${init.path}`, { method: init.method ?? 'GET', ...(init.body !== undefined && { body: init.body }) });
      expect(r.status, init.path).toBe(status);
      expect(((await r.json()) as { error: string }).error).toMatch(message);
    };
    await bad({ path: '/features?card_id=c1&features=spnd_1d' }, 400, /did you mean "spend_1d"/);
    await bad({ path: '/features?crad_id=c1' }, 400, /unknown key column "crad_id"/);
    await bad({ path: '/features' }, 400, /"keys" is empty/);
    await bad({ path: '/features?card_id=c1&card_id=c2&user_id=u1' }, 400, /repeat every key parameter/);
    await bad({ path: '/features', method: 'POST', body: '{not json' }, 400, /not valid JSON/);
    await bad({ path: '/features', method: 'POST', body: 'x'.repeat((1 << 20) + 1) }, 413, /over the limit/);
    await bad({ path: '/features', method: 'DELETE' }, 405, /use GET or POST/);
    await bad({ path: '/nowhere' }, 404, /no such path/);
    const ok = await fetch(`${base}/features?card_id=c2&features=txn_count_1d`);
    expect(ok.status).toBe(200);
  });
});

describe('online fetch in the appending process', () => {
  it('serves a row appended to the store at the next fetch', async () => {
    const store = FeatureStore.inMemory();
    const live = await startOnlineServer(store, compiled, { zmq: 'tcp://127.0.0.1:*' });
    const c = await OnlineClient.connect(live.zmq!);
    try {
      expect(await c.fetch({ card_id: 'c9' }, ['spend_1d', 'txn_count_1d'], { now: NOW })).toEqual({ spend_1d: 0, txn_count_1d: null });
      const cards = new Dictionary(['c9']);
      const users = new Dictionary(['u9']);
      store.append('txns', {
        length: 1,
        time: Float64Array.of(NOW - MIN),
        columns: {
          card_id: { type: 'dictionary', codes: Int32Array.of(0), dictionary: cards },
          user_id: { type: 'dictionary', codes: Int32Array.of(0), dictionary: users },
          spend_1d: { type: 'float64', values: Float64Array.of(12.5) },
          txn_count_1d: { type: 'float64', values: Float64Array.of(3) },
          amount_ratio: { type: 'float64', values: Float64Array.of(0.5) },
        },
      });
      expect(await c.fetch({ card_id: 'c9' }, ['spend_1d', 'txn_count_1d'], { now: NOW })).toEqual({ spend_1d: 12.5, txn_count_1d: 3 });
    } finally {
      await c.close();
      await live.close();
    }
  });
});

describe('tributary serve', () => {
  it('serves the replayed store until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let endpoint = '';
    const done = serveCommand(file, { zmq: 'tcp://127.0.0.1:*', http: '0' }, (l) => lines.push(l), {
      signal: stop.signal,
      onListening: (s) => (endpoint = s.zmq!),
    });
    while (endpoint === '') await new Promise((r) => setTimeout(r, 10));
    const c = await OnlineClient.connect(endpoint);
    expect(await c.fetch({ card_id: 'c1', user_id: 'u1' }, ['risk'], { now: NOW })).toEqual({ risk: 15 });
    await c.close();
    stop.abort();
    expect(await done).toBe(0);
    expect(lines[0]).toMatch(/^serving shop: 6 features, 11 rows in 3 tables$/);
  });
});
