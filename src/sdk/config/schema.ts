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
});

export const definitionFeatureSchema = z.strictObject({
  name,
  description: z.string().optional(),
  source: z.string(),
  key: keySchema.optional(),
  definition: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
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
