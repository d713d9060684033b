/**
 * Minimal reproduction, found by sliding.oracle.test.ts: replay fails to write its events table when
 * one output batch of a feature column has nulls and another has none.
 *
 * Two events of one key, lateness 0: `reorder` releases t=0 on the first push (watermark 10) and
 * t=10 at the end, so the table is written from two batches. `sum` over 100 ms is null at t=0 (empty
 * window) and 1 at t=10. `toRecordBatch` (src/pipelines/data/arrow.ts) makes a field nullable only
 * when that batch's column has a validity bitmap, so the two record batches get different schemas
 * (`s: Float64?` vs `s: Float64`), and `new Table(batches)` throws "Table and inner RecordBatch
 * schemas must be equivalent".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tables.js';
import { readEventsTable } from './helpers/engine.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';

const CONFIG = `
name: repro
sources:
  ev:
    path: ev.jsonl
    time: t
    time_format: epoch_ms
    keys: [k]
    lateness: 0ms
    columns: { id: int64, k: string, v: float64 }
features:
  - name: s
    source: ev
    op: sum
    column: v
    window: 100ms
`;

describe('replay output with nulls in some batches only', () => {
  const root = tempDir('tributary-repro-');
  afterAll(() => root.remove());

  it('writes one table whatever batches the nulls fall in', async () => {
    const dir = mkdtempSync(join(root.dir, 'run-'));
    writeFileSync(join(dir, 'ev.jsonl'), '{"id":1,"t":0,"k":"a","v":1}\n{"id":2,"t":10,"k":"a","v":2}\n');
    const summary = await replay(parseConfig(CONFIG, { dir, dataDir: join(dir, 'data') }));
    const table = readEventsTable(summary.tables.find((t) => t.name === 'ev')!.file, 't', ['s']);
    expect(table.ids).toEqual([1, 2]);
    expect(table.columns.get('s')).toEqual([null, 1]);
    rmSync(dir, { recursive: true, force: true });
  });
});
