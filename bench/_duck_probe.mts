import { DOUBLE, INTEGER, BIGINT } from '@duckdb/node-api';
import { generateReference } from '/work/main/bench/workloads/reference.ts';
import { loadTable, openDuckDB } from '/work/main/bench/lib/duckdb.ts';
const n = Number(process.env.N ?? 10_000_000);
const w = generateReference({ events: n });
const id = new Int32Array(n); for (let i = 0; i < n; i++) id[i] = i;
const { conn } = await openDuckDB(2);
let t0 = performance.now();
await loadTable(conn, 'raw', [ { name: 'id', type: INTEGER, values: id }, { name: 't_ms', type: DOUBLE, values: w.time }, { name: 'key', type: INTEGER, values: w.keys }, { name: 'value', type: DOUBLE, values: w.values } ]);
console.log('load', (performance.now() - t0).toFixed(0));
await conn.run('CREATE TABLE ev_ts AS SELECT id, epoch_ms(CAST(t_ms AS BIGINT)) AS t, key, value FROM raw ORDER BY id');
await conn.run('CREATE TABLE ev_i AS SELECT id, CAST(t_ms AS BIGINT) AS t, key, value FROM raw ORDER BY id');
const q = {
  ts3: `SELECT id, count(*) OVER w AS cnt, sum(value) OVER w AS s, avg(value) OVER w AS m FROM ev_ts WINDOW w AS (PARTITION BY key ORDER BY t RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW)`,
  int3: `SELECT id, count(*) OVER w AS cnt, sum(value) OVER w AS s, avg(value) OVER w AS m FROM ev_i WINDOW w AS (PARTITION BY key ORDER BY t RANGE BETWEEN 3600000 PRECEDING AND CURRENT ROW)`,
  int2: `SELECT id, count(*) OVER w AS cnt, sum(value) OVER w AS s FROM ev_i WINDOW w AS (PARTITION BY key ORDER BY t RANGE BETWEEN 3600000 PRECEDING AND CURRENT ROW)`,
};
for (let r = 0; r < 3; r++) for (const [name, sql] of Object.entries(q)) {
  await conn.run('DROP TABLE IF EXISTS o');
  t0 = performance.now();
  await conn.run(`CREATE TABLE o AS ${sql}`);
  const ct = performance.now() - t0;
  t0 = performance.now();
  const res = await conn.run(`SELECT count(*), sum(cnt) FROM (${sql})`);
  console.log(r, name, 'create', ct.toFixed(0), 'agg-only', (performance.now() - t0).toFixed(0));
}
