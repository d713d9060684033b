import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../../src/store/ingest/importFile.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { tempDir } from '../../helpers/tables.js';

const spec: SourceSpec = { name: 'clicks', time: 'ts', timeFormat: 'epoch_ms', keys: ['user'], lateness: 0, columns: { user: 'string', n: 'float64' } };
const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `${1000 + from + i},u${(from + i) % 3},${from + i}`).join('\n');

describe('importing a file again', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('skips a file that was only touched, and replaces the rows of one whose content changed', async () => {
    const file = join(tmp.dir, 'clicks.csv');
    writeFileSync(file, `ts,user,n\n${rows(5)}\n`);
    const log = await (await EventLog.open(join(tmp.dir, 'log'))).openSource(spec);
    expect((await importFile(log, file)).rows).toBe(5);

    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await importFile(log, file)).toMatchObject({ skipped: true });
    expect(log.rowCount).toBe(5);

    appendFileSync(file, `${rows(2, 5)}\n`);
    expect(await importFile(log, file)).toMatchObject({ skipped: false, rows: 7 });
    expect(log.rowCount).toBe(7);
    const times: number[] = [];
    for await (const b of log.read()) times.push(...b.time);
    expect(times).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006]);
  });

  it('refuses a changed file whose rows are followed by other events, rather than doubling them', async () => {
    const a = join(tmp.dir, 'a.csv');
    const b = join(tmp.dir, 'b.csv');
    writeFileSync(a, `ts,user,n\n${rows(3)}\n`);
    writeFileSync(b, `ts,user,n\n${rows(3, 3)}\n`);
    const log = await (await EventLog.open(join(tmp.dir, 'log'))).openSource(spec);
    await importFile(log, a);
    await importFile(log, b);
    appendFileSync(a, `${rows(1, 9)}\n`);
    await expect(importFile(log, a)).rejects.toThrow(/a\.csv changed since it was imported, and other events follow its rows/);
    expect(log.rowCount).toBe(6);
  });
});
