import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLive } from '../../../src/actors/live/runLive.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import { readArrowRows } from '../../helpers/tables.js';
import { HandConnector, rowsOf, sleep, tempDir, waitFor } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('idle sources', () => {
  it('after idle_timeout the watermark advances with the clock: windows close, held events are released', async () => {
    const dataDir = join(tmp.dir, 'data');
    const config = parseConfig(
      `name: quiet
sources:
  ev:
    time: ts
    time_format: epoch_ms
    keys: [k]
    columns: { k: string }
    live: { zmq: { endpoint: "tcp://127.0.0.1:1" }, max_delay: 1ms, idle_timeout: 100ms }
features:
  - { name: recent, source: ev, op: count, windows: [1m] }
  - { name: per_minute, source: ev, op: count, window: { tumbling: 1m } }
`,
      { dir: tmp.dir, dataDir },
    );
    const hand = new HandConnector();
    const out: Record<string, Batch[]> = { ev: [], per_minute: [] };
    const run = await startLive(config, { onOutput: (t, b) => void out[t]!.push(b), connectors: { ev: { connector: hand, format: 'jsonl' } } });
    const line = (ts: number, k = 'a') => JSON.stringify({ ts, k });
    hand.send([line(10_000), line(59_850), line(59_900, 'b')].join('\n'));
    await sleep(30);
    // Not idle yet: the minute [0, 60 s) is open, and the newest event is held (its timestamp could still have ties).
    expect(rowsOf(out.per_minute!)).toEqual([]);
    expect(rowsOf(out.ev!).map((r) => r.time)).toEqual([10_000, 59_850]);

    await waitFor(() => rowsOf(out.per_minute!).length === 2, 'the idle watermark to close the first minute', 3000);
    expect(rowsOf(out.per_minute!).map((r) => [r.k, r.window_start, r.time, r.per_minute])).toEqual([
      ['a', 0, 60_000, 2],
      ['b', 0, 60_000, 1],
    ]);
    expect(rowsOf(out.ev!).map((r) => r.time)).toEqual([10_000, 59_850, 59_900]);
    const c = run.counters().sources.ev!;
    expect(c.idleAdvances).toBeGreaterThan(0);
    expect(c.idleWatermark).toBeGreaterThanOrEqual(60_000);

    // An event behind the announced watermark is late: a dead letter, counted, and not in the log.
    const w = run.counters().sources.ev!.idleWatermark!;
    hand.send([line(59_950), line(w + 5)].join('\n'));
    await waitFor(() => run.counters().sources.ev!.accepted === 4, 'the next event');
    const summary = await run.stop();
    expect(summary.counters.sources.ev!.deadLetters).toEqual({ late: 1 });
    expect(summary.deadLetters.ev).toEqual({ late: 1 });
    const log = (await EventLog.open(join(dataDir, 'log'))).source('ev')!;
    expect(log.rowCount).toBe(4);

    // So replaying the log gives what live gave, idle watermarks and all.
    const replayed = await replay(config);
    for (const t of summary.tables) expect(readArrowRows(t.file)).toEqual(readArrowRows(replayed.tables.find((x) => x.name === t.name)!.file));
  });
});
