import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterSink, reasonKind } from '../../src/store/deadLetter.js';
import { tempDir } from './log/testUtil.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);

describe('DeadLetterSink', () => {
  it('groups counts by source and by the reason text before the first colon', () => {
    const sink = new DeadLetterSink(join(dir, 'dl'));
    sink.write({ source: 'trips', reason: "bad timestamp: 'abc'" });
    sink.write({ source: 'trips', reason: 'bad timestamp: "x:y"' });
    sink.write({ source: 'trips', reason: 'missing time column' });
    sink.write({ source: 'logins', reason: 'late: 5000 ms behind the watermark', offset: 12, time: 1000, step: 'window' });
    expect(sink.counts()).toEqual({ trips: { 'bad timestamp': 2, 'missing time column': 1 }, logins: { late: 1 } });
    expect(sink.total()).toBe(4);
    expect(reasonKind('wrong type: amount expected float64, got "abc"')).toBe('wrong type');
  });

  it('writes one JSON object a line per source file, creating the directory only when needed, and appends', async () => {
    const out = join(dir, 'nested', 'dl');
    const sink = new DeadLetterSink(out);
    await sink.close();
    expect(existsSync(out)).toBe(false);

    const a = new DeadLetterSink(out);
    a.write({ source: 'trips', reason: 'missing key: driver', file: 'a.csv', row: 3, raw: 'x,"y\nz"' });
    a.write({ source: 'odd/name', reason: 'r' });
    expect(existsSync(out)).toBe(false); // still buffered
    await a.close();
    const b = new DeadLetterSink(out);
    b.write({ source: 'trips', reason: 'bad timestamp: null', row: 9 });
    await b.close();
    expect(await lines(join(out, 'trips.jsonl'))).toEqual([
      { source: 'trips', reason: 'missing key: driver', file: 'a.csv', row: 3, raw: 'x,"y\nz"' },
      { source: 'trips', reason: 'bad timestamp: null', row: 9 },
    ]);
    expect(await lines(join(out, 'odd_name.jsonl'))).toEqual([{ source: 'odd/name', reason: 'r' }]);
  });

  it('flushes on its own once many records are buffered', async () => {
    const sink = new DeadLetterSink(dir);
    for (let i = 0; i < 2500; i++) sink.write({ source: 's', reason: 'x', row: i });
    expect((await lines(join(dir, 's.jsonl'))).length).toBe(2000);
    await sink.close();
    expect((await lines(join(dir, 's.jsonl'))).length).toBe(2500);
  });

  it('does not throw from write when the disk fails, but reports it at close', async () => {
    // A file where the directory should be: creating the directory fails.
    const blocker = join(dir, 'blocker');
    await (await import('node:fs/promises')).writeFile(blocker, '');
    const sink = new DeadLetterSink(join(blocker, 'dl'));
    expect(() => {
      for (let i = 0; i < 1500; i++) sink.write({ source: 's', reason: 'x' });
    }).not.toThrow();
    await expect(sink.close()).rejects.toThrow();
  });
});
