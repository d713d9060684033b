/**
 * The autofeatures against DuckDB: the generated user_events sample (small scale) replayed through a
 * config with `user_period_features` on both sources, and the same per-period aggregates written as
 * SQL over DuckDB's own reading of the sample files: a grid of (user, period) from each user's first
 * period to the source's last, counts per value and __other__, count(DISTINCT), the mode, sum, avg,
 * stddev_samp, and LAG() for the earlier periods.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../../src/sdk/replay.js';
import { generateSamples } from '../../../../src/sdk/samples/index.js';
import { readArrowRows, tempDir } from '../../../helpers/tables.js';

const WEEK = 604_800_000;
const OFFSET = 4 * 86_400_000;

interface Spec {
  /** The feature's name (its table and column prefix) and its DuckDB source table. */
  name: string;
  table: string;
  /** SQL for the period number of a row, and for the start (epoch ms) of period `idx`. */
  idx: string;
  start: (idx: string) => string;
  /** Histogram columns: SQL column, the column-name part, declared values or a learned top k. */
  hist: { col: string; part: string; values?: string[]; top?: number }[];
  distinct: { col: string; part: string }[];
  numeric: { col: string; part: string }[];
  lags: number;
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
const san = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

async function all(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

/** The SQL table `<name>_want` of what the feature should give, and its value columns. */
async function expected(conn: DuckDBConnection, s: Spec): Promise<string[]> {
  const cols: string[] = [];
  const sel: string[] = [`count(*) AS "${s.name}_count"`];
  cols.push(`${s.name}_count`);
  const modes: string[] = [];
  for (const h of s.hist) {
    // Learned slots: the first k distinct values in the file's order.
    const slots = h.values ?? (await all(conn, `SELECT ${h.col} AS v FROM ${s.table} WHERE ${h.col} IS NOT NULL GROUP BY ${h.col} ORDER BY min(seq) LIMIT ${h.top}`)).map((r) => String(r.v));
    const names = h.values ? h.values.map(san) : Array.from({ length: h.top! }, (_, i) => `top${i + 1}`);
    names.forEach((n, i) => {
      const c = `${s.name}_${h.part}_${n}`;
      sel.push(slots[i] === undefined ? `0 AS "${c}"` : `count(*) FILTER (WHERE ${h.col} = ${q(slots[i]!)}) AS "${c}"`);
      cols.push(c);
    });
    sel.push(`count(${h.col}) FILTER (WHERE ${h.col} NOT IN (${slots.map(q).join(', ')})) AS "${s.name}_${h.part}___other__"`);
    sel.push(`count(DISTINCT ${h.col}) AS "${s.name}_${h.part}_count_distinct"`);
    cols.push(`${s.name}_${h.part}___other__`, `${s.name}_${h.part}_count_distinct`, `${s.name}_${h.part}_mode`);
    // The mode: most rows in the period, ties to the value that appears first in the file.
    await conn.run(`
      CREATE OR REPLACE TABLE ${s.name}_${h.part}_mode AS
      WITH firsts AS (SELECT ${h.col} AS v, min(seq) AS fs FROM ${s.table} WHERE ${h.col} IS NOT NULL GROUP BY 1),
      counts AS (SELECT user_id, ${s.idx} AS idx, ${h.col} AS v, count(*) AS n FROM ${s.table} WHERE ${h.col} IS NOT NULL GROUP BY ALL),
      ranked AS (SELECT c.*, row_number() OVER (PARTITION BY user_id, idx ORDER BY n DESC, f.fs) AS r FROM counts c JOIN firsts f USING (v))
      SELECT user_id, idx, CASE v ${slots.map((v, i) => `WHEN ${q(v)} THEN ${i + 1}`).join(' ')} ELSE 0 END AS mode FROM ranked WHERE r = 1`);
    modes.push(`LEFT JOIN ${s.name}_${h.part}_mode m_${h.part} ON m_${h.part}.user_id = g.user_id AND m_${h.part}.idx = g.idx`);
  }
  for (const d of s.distinct) {
    sel.push(`count(DISTINCT ${d.col}) AS "${s.name}_${d.part}_count_distinct"`);
    cols.push(`${s.name}_${d.part}_count_distinct`);
  }
  for (const n of s.numeric) {
    sel.push(`coalesce(sum(${n.col}), 0) AS "${s.name}_${n.part}_sum"`, `avg(${n.col}) AS "${s.name}_${n.part}_mean"`, `stddev_samp(${n.col}) AS "${s.name}_${n.part}_std"`);
    cols.push(`${s.name}_${n.part}_sum`, `${s.name}_${n.part}_mean`, `${s.name}_${n.part}_std`);
  }
  const isZeroWhenEmpty = (c: string) => !c.endsWith('_mode') && !c.endsWith('_mean') && !c.endsWith('_std');
  const base = cols.map((c) => {
    if (c.endsWith('_mode')) return `m_${c.slice(s.name.length + 1, -'_mode'.length)}.mode AS "${c}"`;
    return isZeroWhenEmpty(c) ? `coalesce(a."${c}", 0) AS "${c}"` : `a."${c}" AS "${c}"`;
  });
  await conn.run(`
    CREATE OR REPLACE TABLE ${s.name}_base AS
    WITH agg AS (SELECT user_id, ${s.idx} AS idx, ${sel.join(', ')} FROM ${s.table} GROUP BY ALL),
    firsts AS (SELECT user_id, min(${s.idx}) AS f FROM ${s.table} GROUP BY 1),
    last AS (SELECT max(${s.idx}) AS l FROM ${s.table}),
    grid AS (SELECT user_id, unnest(generate_series(f, (SELECT l FROM last))) AS idx FROM firsts)
    SELECT g.user_id, g.idx, ${base.join(', ')}
    FROM grid g LEFT JOIN agg a ON a.user_id = g.user_id AND a.idx = g.idx ${modes.join(' ')}`);
  const lagCols: string[] = [];
  for (let i = 1; i <= s.lags; i++) for (const c of cols) lagCols.push(`lag("${c}", ${i}) OVER (PARTITION BY user_id ORDER BY idx) AS "${c}_${i}"`);
  await conn.run(`
    CREATE OR REPLACE TABLE ${s.name}_want AS
    SELECT user_id, ${s.start('idx')} AS window_start, ${cols.map((c) => `"${c}"`).join(', ')}${lagCols.length ? ', ' + lagCols.join(', ') : ''}
    FROM ${s.name}_base`);
  const baseCols = [...cols];
  for (let i = 1; i <= s.lags; i++) for (const c of baseCols) cols.push(`${c}_${i}`);
  return cols;
}

describe('user_period_features against DuckDB on the user_events sample', () => {
  const tmp = tempDir();
  let conn: DuckDBConnection;
  let instance: DuckDBInstance;
  const got: Record<string, Record<string, unknown>[]> = {};

  beforeAll(async () => {
    const dir = join(tmp.dir, 'samples');
    // Starting on 20 January, the 8 weeks of data cross two month ends.
    await generateSamples('user_events', dir, { scale: 0.03, seed: 5, start: Date.UTC(2024, 0, 20) });
    const yaml = `
name: autofeatures_check
data_dir: ${JSON.stringify(join(tmp.dir, 'state'))}
sources:
  clickstream:
    path: ${JSON.stringify(join(dir, 'clickstream.jsonl'))}
    time: ts
    time_format: iso
    keys: [user_id, session_id]
    lateness: 0s
    columns: { user_id: string, session_id: string, event: string, attributes.page: string, attributes.device: string }
  transactions:
    path: ${JSON.stringify(join(dir, 'transactions.csv'))}
    time: ts
    time_format: iso
    keys: [user_id]
    lateness: 0s
    columns: { user_id: string, amount: float64, product_category: string }
features:
  - name: uw
    source: clickstream
    definition: user_period_features
    params:
      period: week
      offset: 4d
      histograms: [{ column: event, values: [page_view, search, add_to_cart, checkout] }, { column: attributes.page, top: 3 }]
      distinct: [session_id, attributes.device]
      lags: 2
  - name: um
    source: transactions
    definition: user_period_features
    params: { period: month, histograms: [{ column: product_category, top: 3 }], numeric: [amount], lags: 1 }
`;
    writeFileSync(join(tmp.dir, 'auto.yaml'), yaml);
    const summary = await replay(parseConfig(yaml, { dir: tmp.dir }), { store: false });
    expect(summary.deadLetters).toEqual({});
    for (const name of ['uw', 'um']) got[name] = readArrowRows(summary.tables.find((t) => t.name === name)!.file);

    instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    conn = await instance.connect();
    await conn.run(`
      CREATE TABLE clicks AS
      SELECT row_number() OVER () AS seq, epoch_ms(ts::TIMESTAMP) AS t, user_id, session_id, event, attributes.page AS page, attributes.device AS device
      FROM read_json(${q(join(dir, 'clickstream.jsonl'))}, format = 'newline_delimited',
        columns = {ts: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR', event: 'VARCHAR', attributes: 'STRUCT(page VARCHAR, device VARCHAR)'})`);
    await conn.run(`
      CREATE TABLE txns AS
      SELECT row_number() OVER () AS seq, ts::TIMESTAMP AS ts, user_id, amount, product_category
      FROM read_csv(${q(join(dir, 'transactions.csv'))}, header = true, columns = {ts: 'VARCHAR', user_id: 'VARCHAR', amount: 'DOUBLE', product_category: 'VARCHAR'})`);
  }, 120_000);
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
    tmp.remove();
  });

  async function check(s: Spec): Promise<number> {
    const cols = await expected(conn, s);
    const want = await all(conn, `SELECT * FROM ${s.name}_want ORDER BY window_start, user_id`);
    const rows = [...got[s.name]!].sort((a, b) => Number(a.window_start) - Number(b.window_start) || String(a.user_id).localeCompare(String(b.user_id)));
    expect(rows.length).toBe(want.length);
    expect(Object.keys(rows[0]!).filter((c) => c.startsWith(`${s.name}_`))).toEqual(cols);
    rows.forEach((g, i) => {
      const w = want[i]!;
      expect([g.user_id, Number(g.window_start)]).toEqual([w.user_id, Number(w.window_start)]);
      for (const c of cols) {
        const a = g[c] as number | null;
        const b = w[c] === null ? null : Number(w[c]);
        const same = a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
        if (!same) expect.fail(`${s.name} row ${i} (${String(g.user_id)}, ${String(g.window_start)}) ${c}: got ${String(a)}, DuckDB ${String(b)}`);
      }
    });
    return rows.length;
  }

  it('weekly clickstream periods: counts per event and per learned top-3 page, __other__, modes, distinct sessions and devices, two lags', async () => {
    const n = await check({
      name: 'uw',
      table: 'clicks',
      idx: `floor((t - ${OFFSET}) / ${WEEK})::BIGINT`,
      start: (idx) => `${idx} * ${WEEK} + ${OFFSET}`,
      hist: [
        { col: 'event', part: 'event', values: ['page_view', 'search', 'add_to_cart', 'checkout'] },
        { col: 'page', part: 'attributes_page', top: 3 },
      ],
      distinct: [
        { col: 'session_id', part: 'session_id' },
        { col: 'device', part: 'attributes_device' },
      ],
      numeric: [],
      lags: 2,
    });
    // Users who stop coming (the /bug churners) keep getting rows: empty weeks exist.
    expect(got.uw!.some((r) => r.uw_count === 0)).toBe(true);
    expect(n).toBeGreaterThan(100);
  });

  it('monthly transaction periods across month ends: spend sum, mean and std, top-3 categories, a lag', async () => {
    const n = await check({
      name: 'um',
      table: 'txns',
      idx: `(year(ts) * 12 + month(ts) - 1)`,
      start: (idx) => `epoch_ms(make_date((${idx} // 12)::INT, (${idx} % 12 + 1)::INT, 1)::TIMESTAMP)`,
      hist: [{ col: 'product_category', part: 'product_category', top: 3 }],
      distinct: [],
      numeric: [{ col: 'amount', part: 'amount' }],
      lags: 1,
    });
    expect(new Set(got.um!.map((r) => Number(r.window_start))).size).toBe(3);
    expect(got.um!.some((r) => r.um_count === 0)).toBe(true);
    expect(n).toBeGreaterThan(20);
  });
});
