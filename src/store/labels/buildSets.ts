import { join } from 'node:path';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import type { FeatureRegistry } from '../../sdk/registry.js';
import { openSources, registryFor, replay, type ReplayOptions, type ReplaySummary } from '../../sdk/replay.js';
import { DeadLetterSink } from '../deadLetter.js';
import { writeParquetFile } from '../output/writeParquet.js';
import { writeArrowTable } from '../output/writeTable.js';
import { ArrowFileTables } from './arrowFileTables.js';
import { assembleSet, MissingTableError, type FeatureLabelSet, type LabelBalance, type SetCounts } from './assemble.js';
import { LogEventSource } from './logEvents.js';
import { ASSEMBLE_TASK_MODULE, type ParallelOptions } from './parallelAssemble.js';
import { planSet } from './planSet.js';
import { sharedTaskPool } from '../../actors/pool/taskPool.js';

export interface BuildSetsOptions {
  /** Sets to build, by name (default: every set of the config). */
  sets?: readonly string[];
  /** Folder for the set files (default `<data_dir>/sets`). */
  out?: string;
  /** File format for every set (default: each set's `format`). */
  format?: 'arrow' | 'parquet';
  /** Build inference sets: keep rows past the end of the data with a null label. */
  inference?: boolean;
  /** Replay when a feature table is missing or was written from another config (default true). */
  replay?: boolean;
  registry?: FeatureRegistry;
  /** Progress of the replay, when one runs. */
  onProgress?: ReplayOptions['onProgress'];
  /** Called before a replay starts, with the reason. */
  onReplay?: (reason: string) => void;
  /**
   * Assemble each set on this many threads (the spine cut into time ranges on a task pool; same
   * files as one thread). Sets under `parallel.minRows` spine rows stay on one thread. Default 1.
   */
  threads?: number;
  /** When the pool is worth it: thresholds, for tests and benchmarks. */
  parallel?: ParallelOptions;
}

export interface BuiltSet {
  name: string;
  file: string;
  format: 'arrow' | 'parquet';
  counts: SetCounts;
  labelBalance: LabelBalance;
  label: string;
  featureColumns: string[];
  timeRange?: { min: number; max: number };
  elapsedMs: number;
}

export interface BuildSetsResult {
  sets: BuiltSet[];
  /** The replay that ran first, when the feature tables were missing or stale. */
  replay?: ReplaySummary;
  /** Why it ran. */
  replayReason?: string;
}

/**
 * Build a config's feature-label sets and write them: `<out>/<set>.arrow` or `.parquet`.
 *
 * The feature tables come from `<data_dir>/features/` as `replay` writes them. When one is missing,
 * or was written from a different config text (its `tributary.config_hash`), or a source file brought
 * new events into the log, the config is replayed first, so a set never mixes stale features with
 * fresh labels. Labels read the event log.
 *
 * @example
 * const result = await buildSets(loadConfig('configs/payments.yaml'), { format: 'parquet' });
 * result.sets[0]; // { name: 'fraud_7d', file: '.tributary/payments/sets/fraud_7d.parquet', counts: {...}, ... }
 */
export async function buildSets(config: FeatureSetConfig, opts: BuildSetsOptions = {}): Promise<BuildSetsResult> {
  const registry = opts.registry ?? (await registryFor(config));
  const compiled = compileFeatureSet(config, registry);
  const names = opts.sets ?? config.sets.map((s) => s.name);
  if (names.length === 0) throw new Error(`${config.file}: the config defines no sets (add a sets: section)`);
  const plans = names.map((n) => planSet(compiled, n));
  const tables = new ArrowFileTables(join(config.dataDir, 'features'));
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive whole number, got ${threads}`);
  // Start the pool's threads now: they load while the log is opened (and replayed).
  if (threads > 1) sharedTaskPool(threads, [ASSEMBLE_TASK_MODULE]).warm();

  // The event log first: importing a changed source file makes every table stale.
  const deadLetters = new DeadLetterSink(join(config.dataDir, 'deadletter'));
  let logs;
  let imported: string[];
  try {
    const opened = await openSources(config, deadLetters, { ...(opts.onProgress && { onProgress: opts.onProgress }) });
    logs = opened.logs;
    imported = opened.imports.filter((r) => !r.skipped && r.rows > 0).map((r) => r.source);
  } finally {
    await deadLetters.close();
  }

  let reason: string | undefined = imported.length > 0 ? `new events imported into ${imported.join(', ')}` : undefined;
  for (const plan of plans) {
    for (const t of plan.tables) {
      if (reason !== undefined) break;
      const table = await tables.table(t.name, t.timeColumn);
      if (table === undefined) reason = `feature table "${t.name}" is missing`;
      else if (table.metadata.get('tributary.config_hash') !== config.hash) reason = `feature table "${t.name}" was written from another version of ${config.file}`;
    }
  }
  let replayed: ReplaySummary | undefined;
  if (reason !== undefined) {
    if (opts.replay === false) throw new MissingTableError(`${reason}; replay the config`);
    opts.onReplay?.(reason);
    replayed = await replay(config, { registry, ...(opts.onProgress && { onProgress: opts.onProgress }) });
    tables.clear();
  }

  const events = new LogEventSource(config, logs);
  const out = opts.out ?? join(config.dataDir, 'sets');
  const sets: BuiltSet[] = [];
  for (const plan of plans) {
    const started = Date.now();
    const set: FeatureLabelSet = await assembleSet(compiled, plan.set.name, { tables, events }, {
      ...(opts.inference !== undefined && { inference: opts.inference }),
      threads,
      ...(opts.parallel && { parallel: opts.parallel }),
    });
    const format = opts.format ?? plan.set.format;
    const file = join(out, `${set.name}.${format === 'parquet' ? 'parquet' : 'arrow'}`);
    if (format === 'parquet') await writeParquetFile(file, set.table);
    else await writeArrowTable(file, set.table);
    sets.push({
      name: set.name,
      file,
      format,
      counts: set.counts,
      labelBalance: set.labelBalance,
      label: plan.label.name,
      featureColumns: set.featureColumns,
      ...(set.timeRange && { timeRange: set.timeRange }),
      elapsedMs: Date.now() - started,
    });
  }
  return { sets, ...(replayed && { replay: replayed, replayReason: reason }) };
}
