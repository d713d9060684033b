import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import { tempDir } from '../../log/testUtil.js';
import { spec } from '../fixtures.js';
import { importOnce } from './helpers/compareImports.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());
afterAll(() => closeSharedTaskPools());

const HEADER = 'ts,user,amount,count,n32,ok,attributes.page,seen';

/** CSV rows with everything that could go wrong at a cut: quoted line breaks, `""`, stray quotes, CRLF, blanks, bad rows. */
function trickyCsv(): string {
  const rows: string[] = [];
  for (let i = 0; i < 60; i++) {
    const ts = `2024-01-0${1 + (i % 9)}T00:00:${String(i % 60).padStart(2, '0')}Z`;
    switch (i % 12) {
      case 0: rows.push(`${ts},u${i % 7},${i}.5,${i},${i},true,"line\none, ""two""\n",${ts}`); break;
      case 1: rows.push(`${ts},"u, ${i % 5}",,,,,,`); break; // empty cells are null
      case 2: rows.push(`${ts},u${i % 3},1,2,3,0,"\n\n\n",`); break; // a quoted field of line breaks
      case 3: rows.push(`not a time,u1,1,2,3,1,p,`); break; // bad timestamp
      case 4: rows.push(`${ts},,1,2,3,1,p,`); break; // missing key
      case 5: rows.push(`${ts},u2,abc,2,3,1,p,`); break; // wrong type
      case 6: rows.push(`${ts},u3,1,2`); break; // too few fields
      case 7: rows.push(`${ts},a"b,1,2,3,1,"x""\n""y",`); break; // a stray quote in an unquoted field, then a quoted break
      case 8: rows.push(''); break; // a blank line
      case 9: rows.push(`${ts},u${i},1e3,9007199254740991,-2147483648,FALSE,"é 😀\r\nz",${ts}\r`); break; // CRLF
      case 10: rows.push(`${ts},"""q""",2,3,4,1,"",`); break;
      default: rows.push(`${ts},u${i % 4},${-i},${i},${i},1,plain,${Date.UTC(2024, 0, 1) + i}`);
    }
  }
  return rows.join('\n') + '\n';
}

/** JSON lines with nested fields, bad JSON, non-objects, blank lines, CRLF, and strings holding escaped breaks. */
function trickyJsonLines(): string {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const ts = Date.UTC(2024, 0, 1) + i * 1000;
    switch (i % 9) {
      case 0: lines.push(JSON.stringify({ ts, user: `u${i % 5}`, amount: i / 4, attributes: { page: `p\n${i % 3}` } })); break;
      case 1: lines.push('{"ts": 1, "user": '); break; // bad JSON
      case 2: lines.push(''); break;
      case 3: lines.push('[1, 2]'); break; // not an object
      case 4: lines.push(JSON.stringify({ ts: 'nope', user: 'u1' })); break;
      case 5: lines.push(JSON.stringify({ ts, user: null })); break;
      case 6: lines.push(JSON.stringify({ ts, user: 'ü', ok: i % 2 === 0, count: i, n32: -i, seen: ts }) + '\r'); break;
      case 7: lines.push('   '); break;
      default: lines.push(JSON.stringify({ ts: new Date(ts).toISOString(), user: `u${i % 7}`, 'attributes.page': 'flat', amount: null }));
    }
  }
  return lines.join('\n'); // no LF at the end: the last range ends without one
}

async function expectSameImport(file: string, threads: number, rangeBytes: number): Promise<void> {
  const sequential = await importOnce(dir, `seq-${threads}-${rangeBytes}`, spec, file, {});
  const parallel = await importOnce(dir, `par-${threads}-${rangeBytes}`, spec, file, { threads, parallel: { rangeBytes, minBytes: 0 } });
  expect(parallel.report).toEqual(sequential.report);
  expect(parallel.rows).toEqual(sequential.rows);
  expect(parallel.raw).toEqual(sequential.raw);
  expect(parallel.time).toEqual(sequential.time);
  expect(parallel.dictionaries).toEqual(sequential.dictionaries);
  expect(parallel.segments).toEqual(sequential.segments);
  expect(parallel.deadLetters).toEqual(sequential.deadLetters);
  // Progress: several ranges reported, ending at the whole file's records and bytes.
  expect(parallel.progress.length).toBeGreaterThan(1);
  expect(parallel.progress.at(-1)).toEqual(sequential.progress.at(-1));
}

describe('parallel decoding gives the sequential import, exactly', () => {
  it('CSV with a BOM, quoted commas, quotes and line breaks at cut points, empty cells, bad rows', async () => {
    const file = join(dir, 'tricky.csv');
    await writeFile(file, '\uFEFF' + `${HEADER}\r\n` + trickyCsv());
    const sequential = await importOnce(dir, 'probe', spec, file, {});
    // The data set exercises what it claims to: good rows, dead letters of several kinds.
    expect(sequential.rows.length).toBeGreaterThan(20);
    expect(Object.keys((sequential.report as { reasons: object }).reasons).sort()).toEqual(['bad timestamp', 'malformed line', 'missing key', 'wrong type']);
    for (const threads of [2, 3]) for (const rangeBytes of [1, 17, 64, 300]) await expectSameImport(file, threads, rangeBytes);
  });

  it('CSV ending inside a quoted field: the unterminated record is the last range\'s dead letter', async () => {
    const file = join(dir, 'open.csv');
    await writeFile(file, `${HEADER}\n` + trickyCsv() + '2024-01-01T00:00:00Z,u1,1,2,3,1,"never\nclosed,\n');
    for (const threads of [2, 3]) await expectSameImport(file, threads, 40);
  });

  it('JSON lines: nested fields, bad JSON, non-objects, blank lines, CRLF, no final LF', async () => {
    const file = join(dir, 'tricky.jsonl');
    await writeFile(file, '\uFEFF' + trickyJsonLines());
    const sequential = await importOnce(dir, 'probe', spec, file, {});
    expect(sequential.rows.length).toBeGreaterThan(15);
    expect(sequential.deadLetters.length).toBeGreaterThan(10);
    for (const threads of [2, 3]) for (const rangeBytes of [1, 23, 100, 500]) await expectSameImport(file, threads, rangeBytes);
  });

  it('a CSV header without the key column fails the file as a whole, as it does sequentially', async () => {
    const file = join(dir, 'nokey.csv');
    await writeFile(file, 'ts,amount\n2024-01-01T00:00:00Z,1\n');
    const sequential = await importOnce(dir, 'seq', spec, file, {});
    const parallel = await importOnce(dir, 'par', spec, file, { threads: 2, parallel: { rangeBytes: 4, minBytes: 0 } });
    expect(sequential.report).toEqual({ error: expect.stringContaining('has no key column "user"') });
    expect(parallel.report).toEqual(sequential.report);
    expect(parallel.rows).toEqual([]);
  });

  it('an empty CSV and a header-only CSV behave as sequentially', async () => {
    for (const [name, text] of [['empty.csv', ''], ['header.csv', `${HEADER}\n`], ['blank-then-header.csv', `\n\n${HEADER}\n2024-01-01T00:00:00Z,u1,,,,,,\n`]] as const) {
      const file = join(dir, name);
      await writeFile(file, text);
      const sequential = await importOnce(dir, `seq-${name}`, spec, file, {});
      const parallel = await importOnce(dir, `par-${name}`, spec, file, { threads: 2, parallel: { rangeBytes: 3, minBytes: 0 } });
      expect(parallel.report).toEqual(sequential.report);
      expect(parallel.rows).toEqual(sequential.rows);
    }
  });

  it('a file under the size threshold is read on the calling thread (no range progress)', async () => {
    const file = join(dir, 'small.csv');
    await writeFile(file, `${HEADER}\n` + trickyCsv());
    const parallel = await importOnce(dir, 'par', spec, file, { threads: 2 });
    const sequential = await importOnce(dir, 'seq', spec, file, {});
    expect(parallel.progress).toEqual(sequential.progress);
    expect(parallel.rows).toEqual(sequential.rows);
  });
});
