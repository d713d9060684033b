import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveRows } from '../../../src/actors/live/liveRows.js';
import { startLive } from '../../../src/actors/live/runLive.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay, sourceSpec } from '../../../src/sdk/replay.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import type { SourceLog } from '../../../src/store/log/sourceLog.js';
import { readArrowRows } from '../../helpers/tables.js';
import { sleep, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** Rows as another process would append them: [time, user, amount]. */
function append(log: SourceLog, rows: [number, string, number][]): void {
  const b = new LiveRows(log.spec, log.dictionaries, rows.length);
  for (const r of rows) expect(b.tryAdd(r)).toBeUndefined();
  log.appendDurable(b.take());
}

describe('tail source', () => {
  it('follows a log another writer appends to, from its first row, and computes what replaying it computes', async () => {
    const dataDir = join(tmp.dir, 'data');
    const config = parseConfig(
      `name: followed
sources:
  spend:
    time: ts
    time_format: epoch_ms
    keys: [user]
    lateness: 5s
    columns: { user: string, amount: float64 }
    live: { tail: true, batch_rows: 7, max_delay: 2ms, idle_timeout: 1m }
features:
  - { name: total, source: spend, op: sum, column: amount, windows: [1m] }
  - { name: per_minute, source: spend, op: count, window: { tumbling: 1m } }
`,
      { dir: tmp.dir, dataDir },
    );
    // The writer: another process in real life; here another EventLog on the same folder.
    const writer = await (await EventLog.open(join(dataDir, 'log'))).openSource(sourceSpec(config.sources.spend!), { segmentRows: 20 });
    await writer.openJournal();
    const users = ['ann', 'bob', 'cy'];
    let t = 1_700_000_000_000;
    let seq = 0;
    const next = (n: number, jitter = 0): [number, string, number][] =>
      Array.from({ length: n }, (_, i) => [(t += 1500) - (i % 3 === 2 ? jitter : 0), users[seq++ % 3]!, (seq % 97) / 4]);
    append(writer, next(30)); // history, before the live run starts
    await writer.flush();

    const run = await startLive(config);
    expect(run.sources.spend).toMatch(/^tail /);
    for (let k = 0; k < 12; k++) {
      append(writer, next(9, 4000)); // some out of order, within the 5 s lateness
      await sleep(k % 4 === 0 ? 15 : 1);
    }
    append(writer, [[t - 60_000, 'ann', 1]]); // too late for everything: dead letter, in both runs
    const total = 30 + 12 * 9 + 1;
    while (run.counters().sources.spend!.accepted < total) await sleep(10);
    const live = await run.stop();
    await writer.close();
    expect(live.counters.sources.spend).toMatchObject({ received: total, accepted: total, deadLetters: {} });
    expect(live.counters.sources.spend!.pipelineRejected.late).toBeGreaterThan(0);
    expect(writer.segments.length).toBeGreaterThan(3); // the follower crossed segments and journal rewrites

    const replayed = await replay(config);
    for (const name of ['spend', 'per_minute']) {
      const a = readArrowRows(live.tables.find((x) => x.name === name)!.file);
      const b = readArrowRows(replayed.tables.find((x) => x.name === name)!.file);
      expect(a.length).toBeGreaterThan(0);
      expect(a).toEqual(b);
    }
    expect(live.deadLetters.spend).toEqual(replayed.deadLetters.spend);
  });
});
