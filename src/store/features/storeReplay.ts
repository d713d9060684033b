import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import { FeatureStore } from './featureStore.js';
import { tableSpecsFor } from './tableSpec.js';

/**
 * Put a replay's output tables into the feature store in `dir` (`<data_dir>/store`), replacing what
 * the store held for them, and persist them.
 *
 * Why replace rather than append: a replay recomputes each table from the event log, the single
 * source of truth, so its output *is* the table. Appending would rely on row identity, whose rule
 * assumes the stored rows of a key are a prefix of what the producer emits: a partial replay
 * (`--from`) followed by a full one breaks that. Live runs and recoveries append instead.
 *
 * @example
 * await storeReplayTables(join(config.dataDir, 'store'), compiled, collected);
 */
export async function storeReplayTables(dir: string, compiled: CompiledFeatureSet, tables: Readonly<Record<string, readonly Batch[]>>): Promise<FeatureStore> {
  const store = await FeatureStore.open(dir);
  for (const spec of tableSpecsFor(compiled)) {
    await store.defineTable(spec, { replace: true });
    for (const b of tables[spec.name] ?? []) store.append(spec.name, b);
  }
  await store.flush();
  return store;
}
