import { z } from 'zod';
import { COLUMN_TYPES } from '../../pipelines/data/column.js';

/**
 * The shape of a feature-set YAML file, checked with zod. Objects are strict: an unknown key is an
 * error (with a suggestion), so a typo never silently turns a setting off. Durations stay strings here;
 * `normalize.ts` parses them and resolves names, where it can point at the offending place.
 */

const duration = z.string({ error: 'expected a duration such as 10m, 1h30m or 90d' });
const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names start with a letter or _ and hold only letters, digits and _');

export const sourceSchema = z.strictObject({
  description: z.string().optional(),
  path: z.string().optional().describe('file to import into the event log, relative to the config file'),
  format: z.enum(['csv', 'jsonl', 'parquet', 'arrow']).optional().describe('input format; default from the file extension'),
  time: z.string().describe('the event-time column'),
  time_format: z.enum(['auto', 'iso', 'epoch_ms', 'epoch_s', 'epoch_us', 'epoch_ns']).default('auto'),
  keys: z.array(z.string()).default([]).describe('entity key columns; the first is the default key of its features'),
  lateness: duration.default('0s').describe('allowed lateness: how far behind the newest event an event may arrive'),
  columns: z.record(z.string(), z.enum(COLUMN_TYPES)).describe('the schema: column name to type'),
  derive: z.record(name, z.string()).optional().describe('computed columns: name to expression'),
  live: z
    .strictObject({
      zmq: z
        .strictObject({
          endpoint: z.string().describe('e.g. tcp://127.0.0.1:5555'),
          pattern: z.enum(['pull', 'sub']).default('pull').describe('pull: producers push to us; sub: we subscribe to a feed'),
          bind: z.boolean().optional().describe('bind the endpoint (default for pull) or connect to it (default for sub)'),
          topic: z.string().default('').describe('sub only: topic prefix to subscribe to'),
          format: z.enum(['jsonl', 'arrow']).default('jsonl').describe('messages hold JSON lines or one Arrow IPC stream'),
        })
        .optional(),
      websocket: z.strictObject({ url: z.string(), format: z.enum(['jsonl', 'arrow']).default('jsonl') }).optional(),
      tail: z.boolean().optional().describe('follow the event log, appended to by another process'),
      batch_rows: z.number().int().min(1).default(1024).describe('flush a micro-batch at this many rows'),
      max_delay: duration.default('5ms').describe('or when its oldest event has waited this long'),
      idle_timeout: duration.default('1s').describe('advance the watermark after this long without events'),
      max_message_bytes: z.number().int().min(1).default(16 * 1024 * 1024),
      high_water_mark: z.number().int().min(1).default(100_000).describe('rows waiting before producers are held back'),
    })
    .optional()
    .describe('where live events come from in `tributary live`'),
});

const slidingWindow = z.strictObject({ sliding: duration, inclusive: z.boolean().optional() });
const tumblingWindow = z.strictObject({ tumbling: duration, offset: duration.optional() });
const hoppingWindow = z.strictObject({ hopping: duration, every: duration, offset: duration.optional() });
const sessionWindow = z.strictObject({ session: duration });
export const windowSchema = z.union([duration, slidingWindow, tumblingWindow, hoppingWindow, sessionWindow]);

const keySchema = z.union([z.string(), z.array(z.string())]);

export const aggregateFeatureSchema = z.strictObject({
  name,
  description: z.string().optional(),
  source: z.string(),
  key: keySchema.optional().describe('key column(s); default the source\'s first key; [] for one global group'),
  op: z.string().optional(),
  ops: z.array(z.string()).min(1).optional(),
  column: z.string().optional(),
  window: windowSchema.optional(),
  windows: z.array(duration).min(1).optional().describe('several sliding windows, one column each'),
  inclusive: z.boolean().optional().describe('sliding windows cover [t - w, t] instead of [t - w, t)'),
  by: z.string().optional().describe('group by this second column as well as the key'),
  where: z.string().optional().describe('only events for which this expression is true contribute'),
  default: z.number().optional().describe('value of an empty window'),
  max_staleness: duration.optional().describe('online: a value older than this is served as the default (or null)'),
  bucket: duration.optional().describe('sliding windows: materialized buckets of this length (Chalk bucket_duration); the window start is rounded down to a bucket edge'),
  // Op parameters; normalize.ts checks them against the ops.
  k: z.number().optional().describe('first_k, last_k, top_k, bottom_k: how many values (a column each)'),
  percentile: z.number().optional().describe('approx_percentile: the percentile, in [0, 1]'),
  percentiles: z.array(z.number()).min(1).optional().describe('approx_percentile: several percentiles, a column each'),
  values: z.array(z.union([z.string(), z.number()])).min(1).optional().describe('histogram: a count column per value, plus ___other__'),
  top: z.number().optional().describe('histogram: the `top` largest counts, plus ___other__'),
});

export const definitionFeatureSchema = z.strictObject({
  name,
  description: z.string().optional(),
  source: z.string(),
  key: keySchema.optional(),
  definition: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
});

export const labelSchema = z.strictObject({
  name,
  description: z.string().optional(),
  source: z.string().describe('the events the label looks ahead at'),
  key: keySchema.optional().describe("label-source key column(s), matched to the spine's columns of the same names"),
  kind: z.enum(['lookahead', 'event_within', 'next_period']).default('lookahead'),
  op: z.string().optional().describe('lookahead and next_period: the aggregation (default count)'),
  column: z.string().optional(),
  horizon: duration.optional().describe('lookahead and event_within: the label window is (t, t + horizon]'),
  period: duration.optional().describe('next_period: the period length (aligned to the epoch)'),
  periods: z.number().int().min(1).default(1).describe('next_period: how many periods ahead'),
  offset: duration.optional().describe('next_period: shift of the period edges from the epoch'),
  where: z.string().optional().describe('only label-source events for which this is true count'),
  expr: z.string().optional().describe('transform the looked-ahead `value` with the spine columns, e.g. sign(value - mid)'),
  default: z.number().optional().describe('value when the label window holds no event'),
});

export const featureLabelSetSchema = z.strictObject({
  name,
  description: z.string().optional(),
  spine: z.string().describe('the rows: events of this source, or the rows of this windowed feature'),
  key: keySchema.optional().describe('key columns written to the set (default the spine source keys)'),
  where: z.string().optional().describe('only spine rows for which this is true'),
  features: z.array(z.string()).min(1).describe('feature names or their column names'),
  label: z.string(),
  tolerance: duration.optional().describe('the oldest a feature value may be; older is null'),
  inference: z.boolean().default(false).describe('keep rows whose label window runs past the data, with a null label'),
  format: z.enum(['arrow', 'parquet']).default('arrow'),
});

export const derivedFeatureSchema = z.strictObject({
  name,
  description: z.string().optional(),
  expr: z.string(),
});

export const featureSetSchema = z.strictObject({
  name,
  description: z.string().optional(),
  data_dir: z.string().optional().describe('where the event log, dead letters and output go; default .tributary/<name>'),
  modules: z.array(z.string()).default([]).describe('TypeScript or JavaScript modules that register feature definitions'),
  key_groups: z.number().int().min(1).max(65536).default(128),
  sources: z.record(name, z.unknown()),
  features: z.array(z.unknown()).default([]),
  labels: z.array(z.unknown()).default([]),
  sets: z.array(z.unknown()).default([]),
  online: z
    .strictObject({
      zmq: z.string().optional().describe('request/reply endpoint for feature fetches, e.g. tcp://127.0.0.1:5560'),
      http: z.number().int().min(0).max(65535).optional().describe('HTTP port for feature fetches'),
    })
    .optional(),
  output: z
    .strictObject({ format: z.enum(['arrow', 'parquet']).default('arrow') })
    .default({ format: 'arrow' }),
});

export type RawFeatureSet = z.infer<typeof featureSetSchema>;
export type RawSource = z.infer<typeof sourceSchema>;
export type RawAggregateFeature = z.infer<typeof aggregateFeatureSchema>;
export type RawDefinitionFeature = z.infer<typeof definitionFeatureSchema>;
export type RawDerivedFeature = z.infer<typeof derivedFeatureSchema>;
export type RawWindow = z.infer<typeof windowSchema>;
export type RawLabel = z.infer<typeof labelSchema>;
export type RawFeatureLabelSet = z.infer<typeof featureLabelSetSchema>;
