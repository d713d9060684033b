import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import type { SourceLog } from '../../../src/store/log/sourceLog.js';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { LogTail } from '../../../src/store/log/tail.js';
import { rowsOf, tempDir } from './helpers.js';

const spec: SourceSpec = { name: 'ticks', time: 'ts', timeFormat: 'epoch_ms', keys: ['sym'], lateness: 0, columns: { sym: 'string', px: 'float64' } };

function ticks(log: SourceLog, start: number, n: number): Batch {
  const sym = log.dictionaries.get('sym')!;
  const time = new Float64Array(n);
  const codes = new Int32Array(n);
  const px = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    time[j] = start + j;
    // New symbols keep appearing, so the follower must pick up dictionary values as it goes.
    codes[j] = sym.encode(`S${(start + j) % 17}-${Math.floor((start + j) / 13)}`);
    px[j] = (start + j) / 4;
  }
  return makeBatch(time, { sym: dictColumn(codes, sym), px: float64Column(px) });
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

describe('LogTail: following a log another process writes', () => {
  it('returns every row once, in order, through segments, the journal and journal rewrites', async () => {
    const dir = join(tmp.dir, 'log');
    const writer = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 50 });
    await writer.openJournal();
    // The follower opens the log on its own, like another process would.
    const mine = await (await EventLog.open(dir)).openSource(spec);
    const tail = new LogTail(mine.dir, mine.spec, mine.dictionaries, 0, 16);
    const seen: Batch[] = [];
    let at = 0;
    for (let round = 0; round < 40; round++) {
      writer.appendDurable(ticks(writer, at, 9));
      at += 9;
      if (round % 3 === 0) await new Promise((r) => setTimeout(r, 2)); // let background segment writes land
      for (const b of await tail.poll(round % 2 === 0 ? 5 : Infinity)) seen.push(b);
    }
    await writer.close();
    for (let b = await tail.poll(); b.length > 0; b = await tail.poll()) seen.push(...b);
    expect(writer.segments.length).toBeGreaterThan(5);
    expect(seen.every((b) => b.length <= 16)).toBe(true);
    const expected: Batch[] = [];
    for await (const b of writer.read()) expected.push(b);
    expect(rowsOf(seen)).toEqual(rowsOf(expected));
    expect(tail.offset).toBe(360);
    expect(mine.dictionaries.get('sym')!.values).toEqual(writer.dictionaries.get('sym')!.values);
  });

  it('starts from any offset, and has nothing to say about an empty or missing log', async () => {
    const dir = join(tmp.dir, 'log');
    const none = new LogTail(join(dir, 'ticks'), spec, new Map([['sym', new Dictionary()]]));
    expect(await none.poll()).toEqual([]);
    const writer = await (await EventLog.open(dir)).openSource(spec);
    await writer.openJournal();
    writer.appendDurable(ticks(writer, 0, 30));
    await writer.flush();
    writer.appendDurable(ticks(writer, 30, 10));
    const mine = (await EventLog.open(dir)).source('ticks')!;
    const tail = new LogTail(mine.dir, mine.spec, mine.dictionaries, 25);
    const got = rowsOf(await tail.poll()).concat(rowsOf(await tail.poll()));
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: 15 }, (_, i) => 25 + i));
    expect(await tail.poll()).toEqual([]);
  });
});
