import { COLUMN_TYPES, type ColumnType } from '../../pipelines/data/column.js';
import type { TimeFormat } from '../../pipelines/data/time.js';

/**
 * What a source's events look like: the event-time column, the entity keys and the schema.
 *
 * @example
 * const trips: SourceSpec = {
 *   name: 'trips', time: 'pickup_at', timeFormat: 'iso', keys: ['driver_id'], lateness: 60_000,
 *   columns: { driver_id: 'int64', fare: 'float64', 'attributes.zone': 'string' },
 * };
 */
export interface SourceSpec {
  name: string;
  /** Name of the event-time column in the input. It becomes the batch's `time`, not a column. */
  time: string;
  timeFormat: TimeFormat;
  /** Entity key columns: always dictionary-encoded; a row with a null or missing key is a dead letter. */
  keys: string[];
  /** Allowed lateness, ms. Not used by ingest; kept in the manifest for replay. */
  lateness: number;
  /** The schema. Keys appear here too. A name may be a dotted path into nested input, e.g. `attributes.page`. */
  columns: Record<string, ColumnType>;
}

/** How one column of a source is held in a batch. */
export interface StoredColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** Dictionary-encoded: every `string` column, and every key whatever its type. */
  readonly dictionary: boolean;
  readonly key: boolean;
}

const TIME_FORMATS: readonly TimeFormat[] = ['auto', 'iso', 'epoch_ms', 'epoch_s', 'epoch_us', 'epoch_ns'];

/** Source names become directory names. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The columns a batch of this source carries, in schema order. The time column is not one of them,
 * even when the schema lists it.
 */
export function storedColumns(spec: SourceSpec): StoredColumn[] {
  const keys = new Set(spec.keys);
  return Object.entries(spec.columns)
    .filter(([name]) => name !== spec.time)
    .map(([name, type]) => ({ name, type, dictionary: type === 'string' || keys.has(name), key: keys.has(name) }));
}

/** Throws an Error naming the first thing wrong with `spec`. */
export function validateSpec(spec: SourceSpec): void {
  const where = `source ${JSON.stringify(spec.name)}`;
  if (typeof spec.name !== 'string' || !SAFE_NAME.test(spec.name)) {
    throw new Error(`${where}: a source name may hold only letters, digits, '_', '.' and '-'`);
  }
  if (typeof spec.time !== 'string' || spec.time === '') throw new Error(`${where}: the time column is not named`);
  if (!TIME_FORMATS.includes(spec.timeFormat)) {
    throw new Error(`${where}: timeFormat ${JSON.stringify(spec.timeFormat)} is not one of ${TIME_FORMATS.join(', ')}`);
  }
  if (!Number.isFinite(spec.lateness) || spec.lateness < 0) throw new Error(`${where}: lateness must be a number of ms >= 0`);
  for (const [name, type] of Object.entries(spec.columns)) {
    if (!COLUMN_TYPES.includes(type)) {
      throw new Error(`${where}: column ${name} has type ${JSON.stringify(type)}, not one of ${COLUMN_TYPES.join(', ')}`);
    }
  }
  for (const key of spec.keys) {
    if (key === spec.time) throw new Error(`${where}: the time column ${key} cannot also be a key`);
    if (!(key in spec.columns)) throw new Error(`${where}: key ${key} is not in columns; give it a type there`);
  }
  if (new Set(spec.keys).size !== spec.keys.length) throw new Error(`${where}: a key is listed twice`);
}

/**
 * How `next` differs from `stored` in what shapes the data (time column, keys, columns), or undefined
 * when the log can take it. The time format, lateness and column order may change freely.
 */
export function specDifference(stored: SourceSpec, next: SourceSpec): string | undefined {
  if (stored.time !== next.time) return `time column is ${q(stored.time)} in the log but ${q(next.time)} in the new spec`;
  if (stored.keys.join('\u0000') !== next.keys.join('\u0000')) {
    return `keys are [${stored.keys.join(', ')}] in the log but [${next.keys.join(', ')}] in the new spec`;
  }
  for (const [name, type] of Object.entries(stored.columns)) {
    const other = next.columns[name];
    if (other === undefined) return `column ${name} (${type}) is in the log but missing from the new spec`;
    if (other !== type) return `column ${name} is ${type} in the log but ${other} in the new spec`;
  }
  for (const [name, type] of Object.entries(next.columns)) {
    if (!(name in stored.columns)) return `column ${name} (${type}) is in the new spec but not in the log`;
  }
  return undefined;
}

function q(s: string): string {
  return JSON.stringify(s);
}
