import { join } from 'node:path';
import { Publisher } from 'zeromq';
import { afterAll, describe, expect, it } from 'vitest';
import { startLive } from '../../../src/actors/live/runLive.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { rowsOf, sleep, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('ZeroMQ SUB source', () => {
  it('connects to a feed, takes only its topic, as [topic, payload] frames or "topic payload" text', async () => {
    const feed = new Publisher();
    await feed.bind('tcp://127.0.0.1:*');
    const endpoint = feed.lastEndpoint!;
    const config = parseConfig(
      `name: feed
sources:
  quotes:
    time: ts
    time_format: epoch_ms
    keys: [sym]
    columns: { sym: string, bid: float64 }
    live:
      zmq: { endpoint: "${endpoint}", pattern: sub, topic: "quotes" }
      max_delay: 1ms
      idle_timeout: 1m
features:
  - { name: bid_max, source: quotes, op: max, column: bid, windows: [1m] }
`,
      { dir: tmp.dir, dataDir: join(tmp.dir, 'data') },
    );
    const out: Batch[] = [];
    const run = await startLive(config, { onOutput: (t, b) => void (t === 'quotes' && out.push(b)) });
    expect(run.sources.quotes).toBe(`zmq sub connect ${endpoint} topic "quotes"`);
    // A subscriber joins asynchronously: publish a probe until one gets through.
    let ts = 1000;
    while (run.counters().sources.quotes!.accepted === 0) {
      await feed.send(['quotes', JSON.stringify({ ts: ts++, sym: 'PROBE', bid: 0 })]);
      await sleep(20);
    }
    const probes = run.counters().sources.quotes!.received;
    const t0 = ts + 1000;
    await feed.send(['quotes', `${JSON.stringify({ ts: t0, sym: 'A', bid: 1 })}\n${JSON.stringify({ ts: t0 + 1, sym: 'B', bid: 2 })}`]);
    await feed.send(['trades', JSON.stringify({ ts: t0 + 2, sym: 'A', bid: 99 })]); // not our topic
    await feed.send(`quotes ${JSON.stringify({ ts: t0 + 3, sym: 'A', bid: 3 })}`);
    await feed.send(`quotes${JSON.stringify({ ts: t0 + 4, sym: 'A', bid: 4 })}`);
    while (run.counters().sources.quotes!.received < probes + 4) await sleep(10);
    const summary = await run.stop();
    feed.close();
    const rows = rowsOf(out).filter((r) => r.sym !== 'PROBE');
    expect(rows.map((r) => [r.time, r.sym, r.bid, r.bid_max_1m])).toEqual([
      [t0, 'A', 1, null],
      [t0 + 1, 'B', 2, null],
      [t0 + 3, 'A', 3, 1],
      [t0 + 4, 'A', 4, 3],
    ]);
    expect(summary.counters.sources.quotes!.rejectedMessages).toEqual({});
  });
});
