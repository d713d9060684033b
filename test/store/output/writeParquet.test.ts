import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleSet } from '../../../src/store/labels/assemble.js';
import { MemoryEvents, MemoryTables } from '../../../src/store/labels/memorySources.js';
import { SET_METADATA } from '../../../src/store/labels/setMetadata.js';
import { writeParquetFile } from '../../../src/store/output/writeParquet.js';
import { writeArrowTable } from '../../../src/store/output/writeTable.js';
import { tempDir } from '../../helpers/tables.js';
import { batchOf, compileText, numberAt } from '../labels/helpers.js';

const tmp = tempDir('tributary-parquet-');
afterAll(() => tmp.remove());

const CONFIG = `
name: pq
sources:
  orders: { time: t, keys: [user], columns: { user: string, amount: float64 } }
  clicks: { time: t, keys: [user], columns: { user: string } }
features:
  - { name: clicks_1h, source: clicks, op: count, window: 1h }
  - { name: big, source: orders, op: max, column: amount, window: 1h }
labels:
  - { name: spend_next, source: orders, op: sum, column: amount, horizon: 1h }
sets:
  - { name: s, spine: orders, key: user, features: [big, clicks_1h], label: spend_next, inference: true }
`;

async function buildSet() {
  const orders = batchOf([1000, 2000, 3000, 4000], { user: ['ann', 'bob', 'ann', 'çé'], amount: [10, 20, 30, 40], big: [null, null, 10, null] });
  const clicks = batchOf([500, 2500], { user: ['ann', 'ann'], clicks_1h: [0, 1] });
  return assembleSet(compileText(CONFIG), 's', {
    tables: new MemoryTables({ orders: [orders], clicks: [clicks] }),
    events: new MemoryEvents({ orders: [orders] }),
  });
}

describe('writeParquetFile', () => {
  it('round-trips a feature-label set through hyparquet: values, nulls, the features list, and the metadata', async () => {
    const set = await buildSet();
    const file = join(tmp.dir, 's.parquet');
    await writeParquetFile(file, set.table);
    const buffer = await asyncBufferFromFile(file);
    const rows = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
    expect(rows).toHaveLength(set.table.numRows);
    rows.forEach((r, i) => {
      expect(r.user).toBe(set.table.getChild('user')!.get(i));
      const ts = r.t instanceof Date ? r.t.getTime() : Number(r.t as bigint);
      expect(ts).toBe(numberAt(set.table.getChild('t'), i));
      for (const c of ['big', 'clicks_1h', 'spend_next']) expect(r[c] ?? null).toEqual(numberAt(set.table.getChild(c), i));
      const list = r.features as number[];
      expect(list).toHaveLength(set.featureColumns.length);
      list.forEach((x, j) => {
        const want = set.matrix[i * set.featureColumns.length + j]!;
        if (Number.isNaN(want)) expect(Number.isNaN(x)).toBe(true);
        else expect(x).toBe(want);
      });
    });
    // Nulls stayed nulls, in features and in the label (inference rows past the end).
    expect(rows.some((r) => r.big === null)).toBe(true);
    expect(rows.some((r) => r.spend_next === null)).toBe(true);
    const meta = await parquetMetadataAsync(buffer);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    for (const key of Object.values(SET_METADATA)) expect(kv[key], key).toBe(set.table.schema.metadata.get(key));
    expect(JSON.parse(kv[SET_METADATA.matrix]!)).toMatchObject({ width: 2, nulls: 'NaN', columns: ['big', 'clicks_1h'] });
  });

  it('can leave the matrix column out', async () => {
    const set = await buildSet();
    const file = join(tmp.dir, 'flat.parquet');
    await writeParquetFile(file, set.table, { lists: 'omit' });
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!).sort()).toEqual(['big', 'clicks_1h', 'spend_next', 't', 'user']);
  });

  it('writeArrowTable writes the table with its metadata, atomically', async () => {
    const set = await buildSet();
    const file = join(tmp.dir, 'sub', 's.arrow');
    await writeArrowTable(file, set.table);
    expect(readFileSync(file).subarray(0, 6).toString()).toBe('ARROW1');
  });
});
