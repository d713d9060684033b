/**
 * The Arrow feature store: output tables in shared memory, persisted as Arrow IPC segments, with an
 * as-of index, an online view of each key's latest vector, and `getFeatures` queries. See ./README.md.
 *
 * @example
 * import { FeatureStore, tableSpecsFor } from './store/features/index.js';
 * const store = await FeatureStore.open(join(config.dataDir, 'store'));
 * for (const spec of tableSpecsFor(compiled)) await store.defineTable(spec);
 */
export { FeatureStore, DEFAULT_CHUNK_ROWS, DEFAULT_STORE_SEGMENT_ROWS, type FeatureStoreOptions } from './featureStore.js';
export { FeatureTable, type AppendResult, type KeyInput } from './featureTable.js';
export { FeatureCatalog, UnknownFeatureError, type StoredColumnRef } from './featureCatalog.js';
export { tableSpecsFor, keyColumnsOf, sameSpec, type TableSpec, type FeatureSpec, type ValueColumnSpec } from './tableSpec.js';
export { shareTable, openSharedTable, type SharedTableHandle } from './sharedTable.js';
export { planOnline, fetchOnline, type OnlinePlan, type OnlineVectors } from './onlineView.js';
export { getFeatures, type FeatureQuery } from './query.js';
export type { AsOfOptions } from './asOfIndex.js';
export { storeReplayTables } from './storeReplay.js';
