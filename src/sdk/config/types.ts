import type { ColumnType } from '../../pipelines/data/column.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import type { OpName } from '../../pipelines/aggregations/catalog.js';
import type { ConfigLocation } from './configError.js';

/** A window, with every duration in milliseconds. Sliding windows are read at every event; the rest emit when they close. */
export type WindowSpec =
  | { type: 'sliding'; size: number; inclusive: boolean }
  | { type: 'tumbling'; size: number; offset: number }
  | { type: 'hopping'; size: number; every: number; offset: number }
  | { type: 'session'; gap: number };

export interface SourceConfig {
  name: string;
  description?: string;
  /** Absolute path of the file to import, when the config names one. */
  path?: string;
  format?: 'csv' | 'jsonl' | 'parquet' | 'arrow';
  time: string;
  timeFormat: TimeFormat;
  keys: string[];
  /** Allowed lateness, ms. */
  lateness: number;
  columns: Record<string, ColumnType>;
  /** Computed columns: name to expression text, evaluated on every batch before any feature. */
  derive: Record<string, string>;
  at: ConfigLocation;
}

interface FeatureBase {
  name: string;
  description?: string;
  at: ConfigLocation;
}

/** A built-in windowed aggregation: `op`/`ops` over `column`, per `key` (and `by`), in each window. */
export interface AggregateFeature extends FeatureBase {
  kind: 'aggregate';
  source: string;
  key: string[];
  ops: OpName[];
  /** `ops: [...]` was written: column names get an `_<op>` suffix. */
  opsListed: boolean;
  column?: string;
  windows: WindowSpec[];
  /** `windows: [...]` was written: column names get a `_<window>` suffix. */
  windowsListed: boolean;
  by?: string;
  where?: string;
  default?: number;
}

/** A feature computed by a registered FeatureDefinition (built in or from `modules`). */
export interface DefinitionFeature extends FeatureBase {
  kind: 'definition';
  source: string;
  key: string[];
  definition: string;
  params: Record<string, unknown>;
}

/** An expression over other features and source columns, evaluated row by row. */
export interface DerivedFeature extends FeatureBase {
  kind: 'derived';
  expr: string;
}

export type FeatureConfig = AggregateFeature | DefinitionFeature | DerivedFeature;

/** A validated feature-set config, with names resolved, durations in ms and paths absolute. */
export interface FeatureSetConfig {
  name: string;
  description?: string;
  /** The YAML file it came from ('<inline>' when given as text). */
  file: string;
  /** Folder that relative paths in the config are resolved from. */
  dir: string;
  dataDir: string;
  modules: string[];
  keyGroups: number;
  sources: Record<string, SourceConfig>;
  features: FeatureConfig[];
  output: { format: 'arrow' | 'parquet' };
  /** The content hash of the config text, recorded in outputs. */
  hash: string;
}
