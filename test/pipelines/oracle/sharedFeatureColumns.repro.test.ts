/**
 * Minimal reproduction, found by grouped.oracle.test.ts: two features with identical definitions are
 * computed once (one node) and the second name is added by `aliasColumns`
 * (src/pipelines/compile/compileFeatureSet.ts) as a view of the same buffers. The in-process output
 * is right, but the events table that replay writes has garbage in the second column: apache-arrow
 * 21's IPC writer corrupts a column whose data buffer is the very same bytes as an earlier column's
 * (seen standalone: two Float64 children over one Float64Array read back as 2.12e-314, 2.78e-308, ...).
 * It shows when the shared column has no null bitmap, so that the same bytes are written twice in a
 * row (with a bitmap in between, the copy survives): hence `default: 0` here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';
import { tempDir } from '../../helpers/tables.js';
import { readEventsTable } from './helpers/engine.js';

const CONFIG = `
name: repro
sources:
  ev:
    path: ev.jsonl
    time: t
    time_format: epoch_ms
    keys: [k]
    lateness: 1s
    columns: { id: int64, k: string, v: float64 }
features:
  - { name: a, source: ev, op: sum, column: v, window: 100ms, default: 0 }
  - { name: b, source: ev, op: sum, column: v, window: 100ms, default: 0 }
`;

describe('two features with the same definition', () => {
  const root = tempDir('tributary-repro-');
  afterAll(() => root.remove());

  it('both columns of the written events table hold the feature values', async () => {
    const dir = mkdtempSync(join(root.dir, 'run-'));
    writeFileSync(join(dir, 'ev.jsonl'), '{"id":1,"t":0,"k":"x","v":1}\n{"id":2,"t":10,"k":"x","v":2}\n{"id":3,"t":20,"k":"x","v":4}\n');
    const summary = await replay(parseConfig(CONFIG, { dir, dataDir: join(dir, 'data') }));
    const table = readEventsTable(summary.tables.find((t) => t.name === 'ev')!.file, 't', ['a', 'b']);
    expect(table.columns.get('a')).toEqual([0, 1, 3]);
    expect(table.columns.get('b')).toEqual([0, 1, 3]);
    rmSync(dir, { recursive: true, force: true });
  });
});
