import { join } from 'node:path';
import { Push } from 'zeromq';
import { afterAll, describe, expect, it } from 'vitest';
import { ZmqConnector } from '../../../src/actors/live/connectors/zmq.js';
import { startLive } from '../../../src/actors/live/runLive.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import { freePort, sleep, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('backpressure', () => {
  it('a slow consumer holds the producer back through ZeroMQ: the queue stays bounded and nothing is lost', async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const hwm = 1000;
    const config = parseConfig(
      `name: slow
sources:
  ev:
    time: ts
    time_format: epoch_ms
    keys: [k]
    columns: { k: string, v: float64 }
    live:
      zmq: { endpoint: "${endpoint}" }
      batch_rows: 100
      max_delay: 5ms
      high_water_mark: ${hwm}
      idle_timeout: 1m
features:
  - { name: c, source: ev, op: count, windows: [1m] }
`,
      { dir: tmp.dir, dataDir: join(tmp.dir, 'data') },
    );
    let consumed = 0;
    const run = await startLive(config, {
      keepOutputs: false,
      // A consumer (think: a remote store) that takes 2 ms per batch, ~40k events/s at best.
      onOutput: async (_table, b) => {
        await sleep(2);
        consumed += b.length;
      },
      // Small ZeroMQ queues, so the pressure reaches the producer quickly.
      connectors: { ev: { connector: new ZmqConnector({ endpoint, pattern: 'pull', bind: true, topic: '', receiveHighWaterMark: 4 }), format: 'jsonl' } },
    });

    const producer = new Push({ sendHighWaterMark: 4 });
    producer.connect(endpoint);
    const messages = 800;
    const perMessage = 100;
    const pad = 'p'.repeat(200); // not in the schema: ignored, but it fills buffers as real payloads would
    const rssBefore = process.memoryUsage().rss;
    let maxRss = rssBefore;
    for (let m = 0; m < messages; m++) {
      const lines: string[] = [];
      for (let i = 0; i < perMessage; i++) {
        const n = m * perMessage + i;
        lines.push(JSON.stringify({ ts: 1_700_000_000_000 + n, k: `k${n % 50}`, v: n, pad }));
      }
      await producer.send(lines.join('\n'));
      if (m % 50 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    // Held back: by the time the producer got its last message out, most events had been consumed.
    const consumedWhenSent = consumed;
    producer.close();
    const total = messages * perMessage;
    while (run.counters().sources.ev!.accepted < total) await sleep(20);
    const summary = await run.stop();
    const c = summary.counters.sources.ev!;

    expect(c.received).toBe(total);
    expect(c.accepted).toBe(total);
    expect(summary.counters.outputs.ev).toBe(total); // the events table, with feature c
    expect(consumed).toBe(total);
    // The queue never held more than the high-water mark plus one message's rows.
    expect(c.queueDepthMax).toBeLessThanOrEqual(hwm + perMessage);
    expect(c.backpressure.pauses).toBeGreaterThan(0);
    expect(c.backpressure.pausedMs).toBeGreaterThan(0);
    // 16 MB were sent; kernel and ZeroMQ buffers hold a few MB, the rest had to wait for the consumer.
    expect(consumedWhenSent).toBeGreaterThan(total * 0.5);
    expect(maxRss - rssBefore).toBeLessThan(200 * 2 ** 20);
    // Every event is in the log, in order.
    const log = (await EventLog.open(join(tmp.dir, 'data', 'log'))).source('ev')!;
    expect(log.rowCount).toBe(total);
  }, 60_000);
});
