import { makeBatch, type Batch } from '../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../src/pipelines/data/column.js';
import { Dictionary } from '../../src/pipelines/data/dictionary.js';
import { sfc32 } from './reference.js';

/**
 * The label-assembly workload (labelAssembly and poolAssembly suites): a spine `orders` and three
 * feature tables over 24 h, uniform keys, a 5 min `next_value` label.
 */
export const LABEL_SPAN_MS = 24 * 3_600_000;
export const LABEL_START_MS = Date.UTC(2024, 0, 1);
export const LABEL_HORIZON_MS = 5 * 60_000;
export const LABEL_FEATURES = ['x1', 'x2', 'x3'] as const;

export interface LabelTableData {
  time: Float64Array;
  keys: Int32Array;
  values: Float64Array;
}

/** Strictly increasing integer-ms times (no ties in a table, so every join has one right answer), uniform keys, values ~ 100 ± 30. */
export function generateLabelTable(rows: number, keys: number, seed: number): LabelTableData {
  const rand = sfc32(seed);
  const time = new Float64Array(rows);
  const step = LABEL_SPAN_MS / rows;
  for (let i = 0; i < rows; i++) time[i] = LABEL_START_MS + Math.floor((i + 0.9 * rand()) * step);
  const k = new Int32Array(rows);
  for (let i = 0; i < rows; i++) k[i] = Math.floor(rand() * keys);
  const values = new Float64Array(rows);
  for (let i = 0; i < rows; i++) values[i] = Math.round((70 + 60 * rand()) * 100) / 100;
  return { time, keys: k, values };
}

/** A table as one batch, its key a DictColumn over a dictionary of its own (as a file read from disk has). */
export function labelTableBatch(d: LabelTableData, keys: number, valueColumn: string): Batch {
  const dict = new Dictionary();
  for (let k = 0; k < keys; k++) dict.encode(`key-${String(k).padStart(5, '0')}`);
  return makeBatch(d.time, { key: dictColumn(d.keys, dict), [valueColumn]: float64Column(d.values) });
}

/** The feature set: a sum over 1 h per feature table, the label, and one set. */
export function labelConfigText(name: string): string {
  const source = (s: string) => `  ${s}: { time: t, time_format: epoch_ms, keys: [key], columns: { key: string, value: float64 } }`;
  return [
    `name: ${name}`,
    'sources:',
    source('orders'),
    ...LABEL_FEATURES.map((_, i) => source(`f${i + 1}`)),
    'features:',
    ...LABEL_FEATURES.map((x, i) => `  - { name: ${x}, source: f${i + 1}, op: sum, column: value, window: 1h }`),
    'labels:',
    `  - { name: next_value, source: orders, op: last, column: value, horizon: ${LABEL_HORIZON_MS}ms }`,
    'sets:',
    `  - { name: s, spine: orders, features: [${LABEL_FEATURES.join(', ')}], label: next_value }`,
    '',
  ].join('\n');
}
