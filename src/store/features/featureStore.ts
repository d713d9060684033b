import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import type { Batch } from '../../pipelines/data/batch.js';
import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import { didYouMean } from '../../sdk/config/validate.js';
import type { AsOfOptions } from './asOfIndex.js';
import { FeatureCatalog } from './featureCatalog.js';
import { FeatureTable, type AppendResult, type KeyInput } from './featureTable.js';
import { fetchOnline, planOnline, type OnlinePlan, type OnlineVectors } from './onlineView.js';
import { getFeatures, type FeatureQuery } from './query.js';
import { shareTable, type SharedTableHandle } from './sharedTable.js';
import { readTableManifest, writeTableManifest, type TableManifest } from './tableManifest.js';
import { loadTable, persistRows } from './tablePersistence.js';
import { sameSpec, type TableSpec } from './tableSpec.js';

export interface FeatureStoreOptions {
  /** Rows per shared-memory chunk (a power of two, default 16384). */
  chunkRows?: number;
  /** Rows per Arrow IPC segment on disk (default 262144); a flush writes full segments and a last partial one. */
  segmentRows?: number;
}

export const DEFAULT_CHUNK_ROWS = 16_384;
export const DEFAULT_STORE_SEGMENT_ROWS = 262_144;

const TABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The Arrow feature store: the output tables of a feature set (feature rows: key columns, event
 * time, values), held in SharedArrayBuffer-backed columns, persisted as Arrow IPC segments plus a
 * manifest in `<dir>/<table>/`, with an as-of index by key and time, an online view of each key's
 * latest vector, and `getFeatures` queries that return Arrow.
 *
 * - **Appends** are synchronous and idempotent: rows the table already holds are skipped and
 *   counted (the rule is in ./rowIdentity.ts and ./README.md). `flush()` persists what is new.
 * - **Workers** read a table without a copy: `share(name)` gives SharedArrayBuffers to post, and
 *   `openSharedTable` (./sharedTable.ts) builds an Arrow Table over them in the worker.
 * - **Reopening** (`FeatureStore.open` on the same folder) gives back the same rows, codes, online
 *   view and row identities.
 *
 * @example
 * const store = await FeatureStore.open(join(config.dataDir, 'store'));
 * await store.defineTable(spec);                     // from tableSpecsFor(compiled)
 * store.append('transactions', batch);               // { appended: 2, duplicates: 0 }
 * await store.flush();
 * store.latest(['spend_30d'], { card_id: 'c1' });     // { spend_30d: 42.5 }
 * store.asOf('transactions', { card_id: ['c1'] }, [Date.UTC(2024, 0, 5)]); // Int32Array [row]
 * store.getFeatures(['spend_30d'], { keys: { card_id: ['c1'] } }).numRows;
 */
export class FeatureStore {
  private readonly tablesByName = new Map<string, FeatureTable>();
  private readonly manifests = new Map<string, TableManifest>();
  private catalogCache: FeatureCatalog | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private backgroundError: unknown;
  /** The background flush in progress, if any (one at a time: appends do not pile them up). */
  private backgroundFlush: Promise<void> | undefined;
  readonly chunkRows: number;
  readonly segmentRows: number;

  private constructor(
    /** The folder, or undefined for a store that lives only in memory. */
    readonly dir: string | undefined,
    opts: FeatureStoreOptions,
  ) {
    this.chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS;
    this.segmentRows = opts.segmentRows ?? DEFAULT_STORE_SEGMENT_ROWS;
    if (!(this.segmentRows >= 1)) throw new Error(`segmentRows must be at least 1, got ${this.segmentRows}`);
  }

  /** Open (or start) the store in `dir`, loading every table found there. */
  static async open(dir: string, opts: FeatureStoreOptions = {}): Promise<FeatureStore> {
    const store = new FeatureStore(dir, opts);
    let entries: string[] = [];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of entries) {
      const manifest = await readTableManifest(join(dir, name));
      if (manifest === undefined) continue;
      store.tablesByName.set(manifest.spec.name, await loadTable(join(dir, name), manifest, store.chunkRows));
      store.manifests.set(manifest.spec.name, manifest);
    }
    return store;
  }

  /** A store with no folder: everything but persistence (tests, benchmarks, throwaway runs). */
  static inMemory(opts: FeatureStoreOptions = {}): FeatureStore {
    return new FeatureStore(undefined, opts);
  }

  /** Names of the tables, sorted. */
  tableNames(): string[] {
    return [...this.tablesByName.keys()].sort();
  }

  tables(): FeatureTable[] {
    return this.tableNames().map((n) => this.tablesByName.get(n)!);
  }

  has(name: string): boolean {
    return this.tablesByName.has(name);
  }

  table(name: string): FeatureTable {
    const t = this.tablesByName.get(name);
    if (t === undefined) throw new Error(`the feature store has no table "${name}"${didYouMean(name, this.tablesByName.keys())}`);
    return t;
  }

  /** Which table and column each feature name means. */
  get catalog(): FeatureCatalog {
    this.catalogCache ??= new FeatureCatalog(this.tables());
    return this.catalogCache;
  }

  /**
   * Make sure a table with this spec exists. An existing table with the same spec is kept, rows and
   * all. One with a different spec (the config changed) is an error, unless `replace`, which drops
   * its rows: a replay that recomputes the table does that.
   */
  async defineTable(spec: TableSpec, opts: { replace?: boolean } = {}): Promise<FeatureTable> {
    if (!TABLE_NAME.test(spec.name)) throw new Error(`"${spec.name}" cannot name a stored table: use letters, digits, _ . and -`);
    const existing = this.tablesByName.get(spec.name);
    if (existing !== undefined && !opts.replace) {
      if (sameSpec(existing.spec, spec)) return existing;
      throw new Error(`stored table ${spec.name} was written with other features or keys than this config gives it; replay the feature set to rebuild it`);
    }
    const manifest: TableManifest = { version: 1, spec, rows: 0, segments: [] };
    const table = new FeatureTable(spec, this.chunkRows);
    const swap = (): TableManifest | undefined => {
      const old = this.manifests.get(spec.name);
      this.tablesByName.set(spec.name, table);
      this.manifests.set(spec.name, manifest);
      this.catalogCache = undefined;
      return old;
    };
    if (this.dir === undefined) swap();
    else {
      const dir = join(this.dir, spec.name);
      // In the write queue, so that no flush of the old table's rows can land after the swap.
      await this.serial(async () => {
        const old = swap() ?? (await readTableManifest(dir));
        await mkdir(dir, { recursive: true });
        // The new manifest first: from then on the old segments are unreferenced, and can go.
        await writeTableManifest(dir, manifest);
        await Promise.all((old?.segments ?? []).map((s) => rm(join(dir, s.file), { force: true })));
      });
    }
    return table;
  }

  /**
   * Append rows to a table; rows it already holds are skipped (./rowIdentity.ts). Synchronous: the
   * rows are readable at once. Once a segment's worth of rows waits, it is written in the background;
   * call `flush()` to persist the rest (and to see any error of a background write).
   */
  append(table: string, batch: Batch): AppendResult {
    const t = this.table(table);
    const result = t.append(batch);
    const m = this.manifests.get(table);
    if (this.dir !== undefined && m !== undefined && t.length - m.rows >= this.segmentRows && this.backgroundFlush === undefined) {
      this.backgroundFlush = this.flush()
        .catch((err: unknown) => {
          this.backgroundError ??= err;
        })
        .finally(() => {
          this.backgroundFlush = undefined;
        });
    }
    return result;
  }

  /** Start a new delivery for one table, or all: equal-time rows are counted from zero again (./rowIdentity.ts). */
  beginDelivery(table?: string): void {
    for (const t of table === undefined ? this.tables() : [this.table(table)]) t.beginDelivery();
  }

  /** Persist every row not yet on disk. */
  async flush(): Promise<void> {
    if (this.dir !== undefined) {
      const dir = this.dir;
      await this.serial(async () => {
        for (const t of this.tables()) {
          const m = this.manifests.get(t.name)!;
          if (t.length > m.rows) this.manifests.set(t.name, await persistRows(join(dir, t.name), t, m, this.segmentRows));
        }
      });
    }
    if (this.backgroundError !== undefined) {
      const err = this.backgroundError;
      this.backgroundError = undefined;
      throw err;
    }
  }

  /** Flush, then wait for every write. The store stays readable. */
  async close(): Promise<void> {
    await this.flush();
  }

  /** As-of lookup in one table (see FeatureTable.asOf): row indices, -1 where none. */
  asOf(table: string, keys: Readonly<Record<string, KeyInput>>, times: ArrayLike<number>, opts: AsOfOptions = { strict: true }): Int32Array {
    return this.table(table).asOf(keys, times, opts);
  }

  /** `get_features(names, filters, time range)` as an Arrow Table (./query.ts). */
  getFeatures(names: readonly string[], query: FeatureQuery = {}): Table {
    return getFeatures(this.catalog, names, query);
  }

  /** Resolve feature names for online reads (cache the plan; it stays valid while the tables do). */
  planOnline(names: readonly string[]): OnlinePlan {
    return planOnline(this.catalog, names);
  }

  /** Latest vectors of n keys, honouring each feature's max staleness relative to `now` (./onlineView.ts). */
  fetchOnline(plan: OnlinePlan, keys: Readonly<Record<string, readonly (DictionaryValue | null)[]>>, n: number, now = Date.now()): OnlineVectors {
    return fetchOnline(plan, keys, n, now);
  }

  /**
   * The latest vector of one key as an object: for tests, examples and tools. Servers use
   * planOnline/fetchOnline, which resolve names once.
   */
  latest(names: readonly string[], key: Readonly<Record<string, DictionaryValue>>, now = Date.now()): Record<string, number | null> {
    const plan = this.planOnline(names);
    const keys = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, [v]]));
    const v = fetchOnline(plan, keys, 1, now);
    return Object.fromEntries(plan.columns.map((c, j) => [c, v.valid[j] ? v.values[j]! : null]));
  }

  /** A handle on a table's shared memory, to post to a worker thread (./sharedTable.ts). */
  share(table: string): SharedTableHandle {
    return shareTable(this.table(table));
  }

  /** Rows of each table, and how many are on disk. */
  stats(): Record<string, { rows: number; persisted: number }> {
    return Object.fromEntries(this.tables().map((t) => [t.name, { rows: t.length, persisted: this.manifests.get(t.name)?.rows ?? 0 }]));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn);
    this.writing = run.catch(() => undefined);
    return run;
  }
}
