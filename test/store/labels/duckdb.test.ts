import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/sdk/samples/random.js';
import { assembleSet } from '../../../src/store/labels/assemble.js';
import { MemoryEvents, MemoryTables } from '../../../src/store/labels/memorySources.js';
import { tempDir } from '../../helpers/tables.js';
import { batchOf, compileText, numberAt } from './helpers.js';

/**
 * DuckDB as an independent oracle for the as-of join: the same spine and feature rows, joined by
 * `ASOF LEFT JOIN feat f ON s.k = f.k AND s.t > f.t` (the latest earlier row, strictly before), the
 * tolerance applied after (as Tributary does: the latest row, null when too old).
 */

const tmp = tempDir('tributary-asof-duck-');
afterAll(() => tmp.remove());

const SPINE_ROWS = 4000;
const FEATURE_ROWS = 3000;
const TOLERANCE = 5_000;

function generate(seed: number, users: number, merchants: number) {
  const rng = new Rng(seed);
  const user = (i: number) => `u${i}`;
  const merchant = (i: number) => `m${i}`;
  const spine = Array.from({ length: SPINE_ROWS }, (_, id) => ({ id, u: user(rng.int(0, users)), m: merchant(rng.int(0, merchants)), t: rng.int(0, 200_000) }));
  // Feature rows with distinct times per key, so the latest earlier row is unique (no tie for DuckDB to break).
  const used = new Set<string>();
  const feat: { u: string; m: string; t: number; v: number | null }[] = [];
  while (feat.length < FEATURE_ROWS) {
    const u = user(rng.int(0, users));
    const m = merchant(rng.int(0, merchants));
    const t = rng.int(0, 200_000);
    if (used.has(`${u}|${m}|${t}`) || used.has(`${u}|${t}`)) continue;
    used.add(`${u}|${m}|${t}`);
    used.add(`${u}|${t}`);
    feat.push({ u, m, t, v: rng.chance(0.1) ? null : Math.round(rng.float() * 1e6) / 100 });
  }
  feat.sort((a, b) => a.t - b.t);
  // Every tenth spine row sits at exactly a feature row's time and key: a join that is not strict shows.
  for (const r of spine) {
    if (r.id % 10 !== 0) continue;
    const f = feat[rng.int(0, feat.length)]!;
    Object.assign(r, { u: f.u, m: f.m, t: f.t });
  }
  return { spine, feat };
}

async function duck(sql: string, spine: ReturnType<typeof generate>['spine'], feat: ReturnType<typeof generate>['feat']): Promise<(number | null)[]> {
  const sf = join(tmp.dir, `spine-${Math.random()}.csv`);
  const ff = join(tmp.dir, `feat-${Math.random()}.csv`);
  writeFileSync(sf, ['id,u,m,t', ...spine.map((r) => `${r.id},${r.u},${r.m},${r.t}`)].join('\n'));
  writeFileSync(ff, ['u,m,t,v', ...feat.map((r) => `${r.u},${r.m},${r.t},${r.v ?? ''}`)].join('\n'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE spine AS SELECT * FROM read_csv('${sf}', columns = {id: 'INTEGER', u: 'VARCHAR', m: 'VARCHAR', t: 'BIGINT'}, header = true)`);
    await conn.run(`CREATE TABLE feat AS SELECT * FROM read_csv('${ff}', columns = {u: 'VARCHAR', m: 'VARCHAR', t: 'BIGINT', v: 'DOUBLE'}, header = true)`);
    const rows = (await conn.runAndReadAll(sql)).getRows();
    return rows.map((r) => (r[1] === null ? null : Number(r[1])));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const config = (key: string, tolerance: boolean) => `
name: duck
sources:
  spine: { time: t, keys: [u, m], columns: { u: string, m: string } }
  feats: { time: t, keys: [u, m], columns: { u: string, m: string, x: float64 } }
features:
  - { name: v, source: feats, key: ${key}, op: last, column: x, window: 1d }
labels:
  - { name: any, source: spine, kind: event_within, horizon: 1ms }
sets:
  - { name: s, spine: spine, features: [v], label: any, inference: true${tolerance ? `, tolerance: ${TOLERANCE}ms` : ''} }
`;

async function tributary(key: string, tolerance: boolean, data: ReturnType<typeof generate>): Promise<(number | null)[]> {
  const { spine, feat } = data;
  const spineBatch = batchOf(spine.map((r) => r.t), { u: spine.map((r) => r.u), m: spine.map((r) => r.m) });
  const featBatch = batchOf(feat.map((r) => r.t), { u: feat.map((r) => r.u), m: feat.map((r) => r.m), v: feat.map((r) => r.v) }, ['u7', 'u3']);
  const set = await assembleSet(compileText(config(key, tolerance)), 's', {
    tables: new MemoryTables({ feats: [featBatch] }),
    events: new MemoryEvents({ spine: [spineBatch] }),
  });
  expect(set.counts.kept).toBe(SPINE_ROWS);
  // The set is in (time, spine order); put it back in spine order.
  const order = spine.map((r) => r.id).sort((a, b) => spine[a]!.t - spine[b]!.t || a - b);
  const out: (number | null)[] = new Array(SPINE_ROWS);
  order.forEach((id, i) => (out[id] = numberAt(set.table.getChild('v'), i)));
  return out;
}

describe('as-of join against DuckDB ASOF JOIN', () => {
  it('one key column, with and without a tolerance', async () => {
    const data = generate(7, 60, 5);
    const plain = `SELECT s.id, f.v FROM spine s ASOF LEFT JOIN feat f ON s.u = f.u AND s.t > f.t ORDER BY s.id`;
    const tol = `SELECT s.id, CASE WHEN s.t - f.t <= ${TOLERANCE} THEN f.v END FROM spine s ASOF LEFT JOIN feat f ON s.u = f.u AND s.t > f.t ORDER BY s.id`;
    const [want, got] = [await duck(plain, data.spine, data.feat), await tributary('u', false, data)];
    expect(got).toEqual(want);
    expect(want.filter((x) => x !== null).length).toBeGreaterThan(SPINE_ROWS / 2);
    expect(want.some((x) => x === null)).toBe(true);
    const [wantTol, gotTol] = [await duck(tol, data.spine, data.feat), await tributary('u', true, data)];
    expect(gotTol).toEqual(wantTol);
    expect(wantTol.filter((x) => x === null).length).toBeGreaterThan(want.filter((x) => x === null).length);
  });

  it('two key columns', async () => {
    const data = generate(11, 20, 4);
    const sql = `SELECT s.id, f.v FROM spine s ASOF LEFT JOIN feat f ON s.u = f.u AND s.m = f.m AND s.t > f.t ORDER BY s.id`;
    const [want, got] = [await duck(sql, data.spine, data.feat), await tributary('[u, m]', false, data)];
    expect(got).toEqual(want);
    expect(want.filter((x) => x !== null).length).toBeGreaterThan(SPINE_ROWS / 4);
  });
});
