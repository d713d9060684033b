import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import type { SourceSpec } from '../../../../src/store/log/sourceSpec.js';
import { tempDir } from '../../log/testUtil.js';
import { importOnce } from './helpers/compareImports.js';

afterAll(() => closeSharedTaskPools());

const spec: SourceSpec = { name: 'ev', time: 'ts', timeFormat: 'auto', keys: ['user'], lateness: 0, columns: { user: 'string', amount: 'float64', 'a.page': 'string' } };

const text = fc.array(fc.constantFrom('x', 'y', ',', '"', '\n', '\r\n', ' ', 'é', '😀'), { maxLength: 6 }).map((p) => p.join(''));
const row = fc.record({
  ts: fc.oneof(fc.integer({ min: 0, max: 1e6 }).map(String), fc.constant('bad')),
  user: fc.oneof(fc.constantFrom('u1', 'u2', 'u3', ''), text),
  amount: fc.constantFrom('1.5', '', 'x', '-3'),
  page: text,
  quote: fc.boolean(),
  shape: fc.constantFrom('ok', 'ok', 'ok', 'blank', 'short', 'stray'),
});
type GenRow = typeof row extends fc.Arbitrary<infer R> ? R : never;

const cell = (v: string, quote: boolean): string => (quote || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function csvOf(rows: GenRow[], bom: boolean): string {
  const lines = rows.map((r) => {
    if (r.shape === 'blank') return '';
    if (r.shape === 'short') return `${r.ts},${cell(r.user, r.quote)}`;
    const user = r.shape === 'stray' ? `q"${r.user.replace(/[",\r\n]/g, '')}` : cell(r.user, r.quote);
    return [r.ts, user, r.amount, cell(r.page, r.quote)].join(',');
  });
  return (bom ? '\uFEFF' : '') + 'ts,user,amount,a.page\n' + lines.join('\n') + '\n';
}

function jsonLinesOf(rows: GenRow[], bom: boolean): string {
  const lines = rows.map((r) => {
    if (r.shape === 'blank') return '';
    if (r.shape === 'short') return `{"ts": ${JSON.stringify(r.ts)}, "user"`;
    const amount = r.amount === '' ? null : Number.isNaN(Number(r.amount)) ? r.amount : Number(r.amount);
    return JSON.stringify({ ts: /^\d+$/.test(r.ts) ? Number(r.ts) : r.ts, user: r.user, amount, a: { page: r.page } });
  });
  return (bom ? '\uFEFF' : '') + lines.join('\n') + (rows.length % 2 === 0 ? '\n' : '');
}

describe('property: parallel import == sequential import', () => {
  for (const format of ['csv', 'jsonl'] as const) {
    it(`${format}: random content, threads and range sizes`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(row, { maxLength: 40 }), fc.integer({ min: 1, max: 120 }), fc.constantFrom(2, 3), fc.boolean(), async (rows, rangeBytes, threads, bom) => {
          const { dir, cleanup } = await tempDir();
          try {
            const file = join(dir, `in.${format}`);
            await writeFile(file, format === 'csv' ? csvOf(rows, bom) : jsonLinesOf(rows, bom));
            const sequential = await importOnce(dir, 'seq', spec, file, { segmentRows: 4 });
            const parallel = await importOnce(dir, 'par', spec, file, { segmentRows: 4, threads, parallel: { rangeBytes, minBytes: 0 } });
            expect(parallel).toEqual({ ...sequential, progress: parallel.progress });
            expect(parallel.progress.at(-1)).toEqual(sequential.progress.at(-1));
          } finally {
            await cleanup();
          }
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  }
});
