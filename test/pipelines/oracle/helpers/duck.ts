/**
 * DuckDB as the oracle: the same input file, read by DuckDB's own JSON reader, late events found by
 * a window over arrival order, and every feature written as window SQL.
 *
 * Frames: Tributary's sliding window read at time t is [t - w, t) by default. DuckDB's RANGE frame
 * `w PRECEDING AND CURRENT ROW` would include the current row and its peers (same t), so the
 * half-open case uses `RANGE BETWEEN w PRECEDING AND 1 PRECEDING` over BIGINT milliseconds, which
 * is exactly [t - w, t - 1] = [t - w, t) on whole milliseconds. `inclusive: true` is [t - w, t],
 * which is `... AND CURRENT ROW` with every peer at t included: the same rule.
 *
 * Tie order (first/last): `arg_min(v, (t, seq))` / `arg_max(v, (t, seq))`, seq being the arrival position.
 * count_distinct: DuckDB 1.5 accepts `count(DISTINCT x)` over a RANGE frame, so it is compared here too.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { outputColumns, type FeatureSpec, type Op } from './model.js';

export interface Duck {
  conn: DuckDBConnection;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  return {
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Load a JSON-lines event file into `<table>` (accepted events only) and return the ids of the late
 * ones: an event is late when its time is more than `lateness` below the largest time of the events
 * that arrived before it.
 */
export async function loadEvents(duck: Duck, table: string, file: string, lateness: number): Promise<{ lateIds: number[]; accepted: number }> {
  const { conn } = duck;
  await conn.run(`
    CREATE OR REPLACE TABLE ${table}_raw AS
    SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited',
      columns = {seq: 'BIGINT', id: 'BIGINT', t: 'BIGINT', k: 'VARCHAR', c: 'VARCHAR', s: 'VARCHAR', v: 'DOUBLE'})`);
  await conn.run(`
    CREATE OR REPLACE TABLE ${table}_marked AS
    SELECT *, coalesce(t < max(t) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${lateness}, false) AS late
    FROM ${table}_raw`);
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT seq, id, t, k, c, s, v FROM ${table}_marked WHERE NOT late`);
  const late = await conn.runAndReadAll(`SELECT id FROM ${table}_marked WHERE late ORDER BY seq`);
  const lateIds = late.getColumnsJS()[0]?.map((x) => Number(x)) ?? [];
  const n = await conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
  return { lateIds, accepted: Number(n.getColumnsJS()[0]![0]) };
}

function aggregateSql(op: Op, column: string | undefined): string {
  switch (op) {
    case 'count':
      return column === undefined ? 'count(*)' : `count(${column})`;
    case 'sum':
      return `sum(${column})`;
    case 'mean':
      return `avg(${column})`;
    case 'variance':
      return `var_samp(${column})`;
    case 'std':
      return `stddev_samp(${column})`;
    case 'min':
      return `min(${column})`;
    case 'max':
      return `max(${column})`;
    // first/last over a window frame are window functions in DuckDB, which take no FILTER: use the
    // value at the smallest / largest (time, arrival) instead.
    case 'first':
      return `arg_min(${column}, struct_pack(t := t, s := seq))`;
    case 'last':
      return `arg_max(${column}, struct_pack(t := t, s := seq))`;
    case 'count_distinct':
      return `count(DISTINCT ${column})`;
  }
}

/** The SQL expression of one output column of `f`. */
export function featureSql(f: FeatureSpec, op: Op, window: number): string {
  const partition = f.by === undefined ? 'k' : `k, ${f.by}`;
  const lower = window === Infinity ? 'UNBOUNDED PRECEDING' : `${window} PRECEDING`;
  const upper = f.inclusive ? 'CURRENT ROW' : '1 PRECEDING';
  const over = `OVER (PARTITION BY ${partition} ORDER BY t RANGE BETWEEN ${lower} AND ${upper})`;
  const conditions = [f.column !== undefined ? `${f.column} IS NOT NULL` : undefined, f.where?.sql].filter((c) => c !== undefined);
  const filter = conditions.length > 0 ? ` FILTER (WHERE ${conditions.map((c) => `(${c})`).join(' AND ')})` : '';
  const value = `${aggregateSql(op, f.column)}${filter} ${over}`;
  if (f.default === undefined) return `CAST(${value} AS DOUBLE)`;
  // The default replaces the answer of an empty window only (a variance of one value stays null).
  const n = `${aggregateSql('count', f.column)}${filter} ${over}`;
  return `CAST(CASE WHEN ${n} = 0 THEN ${f.default} ELSE ${value} END AS DOUBLE)`;
}

export interface DuckFeatures {
  /** Accepted event ids, in time order (ties in arrival order). */
  ids: number[];
  columns: Map<string, (number | null)[]>;
}

/** Every output column of `features` for the events of `table`, in (t, seq) order. */
export async function duckFeatures(duck: Duck, table: string, features: readonly FeatureSpec[]): Promise<DuckFeatures> {
  const names: string[] = [];
  const exprs: string[] = [];
  for (const f of features) {
    for (const o of outputColumns(f)) {
      names.push(o.column);
      exprs.push(`${featureSql(f, o.op, o.window)} AS "${o.column}"`);
    }
  }
  const reader = await duck.conn.runAndReadAll(`SELECT id${exprs.map((e) => `, ${e}`).join('')} FROM ${table} ORDER BY t, seq`);
  const cols = reader.getColumnsJS();
  const ids = cols[0]!.map((x) => Number(x));
  const columns = new Map<string, (number | null)[]>();
  names.forEach((name, i) => columns.set(name, cols[i + 1]!.map((x) => (x === null ? null : Number(x)))));
  return { ids, columns };
}
