import {
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';

/** A typed-array column to load into DuckDB. */
export interface DuckColumn {
  name: string;
  /** DuckDB type of the column; must be one whose vector takes JS numbers (INTEGER, DOUBLE...). */
  type: DuckDBType;
  values: Float64Array | Int32Array;
}

/** An in-memory DuckDB with `threads` worker threads (`SET threads=<n>`). */
export async function openDuckDB(threads: number): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await instance.connect();
  await conn.run(`SET threads=${threads}`);
  return { instance, conn };
}

/**
 * Create `table` and fill it from typed arrays through the appender, one DuckDB vector (2048 rows)
 * per data chunk. Loading is setup, not part of any timed query.
 */
export async function loadTable(conn: DuckDBConnection, table: string, columns: readonly DuckColumn[]): Promise<void> {
  const n = columns[0]!.values.length;
  await conn.run(`CREATE OR REPLACE TABLE ${table} (${columns.map((c) => `${c.name} ${c.type.toString()}`).join(', ')})`);
  const appender = await conn.createAppender(table);
  const types = columns.map((c) => c.type);
  const CHUNK = 2048;
  for (let s = 0; s < n; s += CHUNK) {
    const m = Math.min(CHUNK, n - s);
    const chunk = DuckDBDataChunk.create(types, m);
    for (let c = 0; c < columns.length; c++) {
      const vector = chunk.getColumnVector(c) as unknown as { setItem(i: number, v: number): void; flush(): void };
      const src = columns[c]!.values;
      for (let i = 0; i < m; i++) vector.setItem(i, src[s + i]!);
      vector.flush();
    }
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

/** Rows of a query as arrays of JS numbers (nulls become NaN). For small verification samples only. */
export async function queryNumbers(conn: DuckDBConnection, sql: string): Promise<number[][]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRows().map((row) => row.map((v) => (v === null ? NaN : Number(v as number | bigint))));
}
