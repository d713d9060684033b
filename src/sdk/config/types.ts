import type { ColumnType } from '../../pipelines/data/column.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import type { OpName, OpRef } from '../../pipelines/aggregations/catalog.js';
import type { ConfigLocation } from './configError.js';

/** A window, with every duration in milliseconds. Sliding windows are read at every event; the rest emit when they close. */
export type WindowSpec =
  | { type: 'sliding'; size: number; inclusive: boolean; bucket?: number }
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
  /** Where live events come from, for `tributary live`. */
  live?: LiveSourceConfig;
  at: ConfigLocation;
}

export interface LiveSourceConfig {
  connector:
    | { kind: 'zmq'; endpoint: string; pattern: 'pull' | 'sub'; bind: boolean; topic: string; format: 'jsonl' | 'arrow' }
    | { kind: 'websocket'; url: string; format: 'jsonl' | 'arrow' }
    | { kind: 'tail' };
  /** Flush a micro-batch at this many rows... */
  batchRows: number;
  /** ...or when its oldest event has waited this long, ms. */
  maxDelay: number;
  /** Advance the watermark after this long without events, ms. */
  idleTimeout: number;
  maxMessageBytes: number;
  /** Rows waiting to be processed before producers are held back. */
  highWaterMark: number;
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
  /** Op names, or `{ op, k }`-style specs for ops with parameters (first_k, histogram, approx_percentile...). */
  ops: OpRef[];
  /** `ops: [...]` was written: column names get an `_<op>` suffix. */
  opsListed: boolean;
  column?: string;
  windows: WindowSpec[];
  /** `windows: [...]` was written: column names get a `_<window>` suffix. */
  windowsListed: boolean;
  by?: string;
  where?: string;
  default?: number;
  /** Online: a value older than this (ms) is served as the default, or null. */
  maxStaleness?: number;
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

/**
 * A label: what happens after each row's time, from the events of `source` with the row's key.
 * - `lookahead`: `op` over `column` in (t, t + horizon];
 * - `event_within`: 1 when any event falls in (t, t + horizon], else 0;
 * - `next_period`: `op` over the `periods` periods after the one holding t: (e, e + periods × period],
 *   e being the end of t's period (t itself when t is on a period edge).
 * `expr` then transforms `value` with the spine row's columns.
 */
export interface LabelConfig {
  name: string;
  description?: string;
  source: string;
  key: string[];
  kind: 'lookahead' | 'event_within' | 'next_period';
  op: OpName;
  column?: string;
  /** lookahead / event_within, ms. */
  horizon?: number;
  /** next_period, ms. */
  period?: number;
  periods: number;
  offset: number;
  where?: string;
  expr?: string;
  default?: number;
  at: ConfigLocation;
}

/** A feature-label set: spine rows, each feature as of the row's time (strictly before), and the label. */
export interface FeatureLabelSetConfig {
  name: string;
  description?: string;
  /** A source (its events) or a windowed feature (its window rows). */
  spine: string;
  key: string[];
  where?: string;
  /** Output column names of the features, in order. */
  features: string[];
  label: string;
  /** ms; undefined: no limit. */
  tolerance?: number;
  inference: boolean;
  format: 'arrow' | 'parquet';
  at: ConfigLocation;
}

export interface OnlineConfig {
  zmq?: string;
  http?: number;
}

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
  labels: LabelConfig[];
  sets: FeatureLabelSetConfig[];
  online: OnlineConfig;
  output: { format: 'arrow' | 'parquet' };
  /** The content hash of the config text, recorded in outputs. */
  hash: string;
}
