import { Schema, Table, makeVector, type Vector } from 'apache-arrow';
import { SET_METADATA } from '../../store/labels/setMetadata.js';
import type { SetData } from './bridge.js';
import type { ModelMeta } from './model.js';
import { predictRows } from './train.js';
import type { tf } from './tf.js';

/**
 * Score every row of a set (an inference set keeps the rows past the end of the data, with a null
 * label) and return the predictions as an Arrow table: the set's key columns and time (the same
 * Arrow vectors, not copied), the label as the set had it (null where not known yet), and
 * `prediction` (binary: P(label = 1); regression: the value) or, multiclass, `p_<class>` per class
 * plus `prediction`, the most likely class.
 *
 * @example
 * const { model, meta } = await loadModel(dir);
 * const predictions = scoreSet(model, meta, readSet(inferenceTable));
 */
export function scoreSet(model: tf.LayersModel, meta: ModelMeta, set: SetData): Table {
  if (meta.label !== set.labelName) throw new Error(`the model predicts "${meta.label}" but the set's label is "${set.labelName}"`);
  const pred = predictRows(model, meta, set);
  const spine = JSON.parse(set.table.schema.metadata.get(SET_METADATA.spine) ?? '{}') as { key?: string[] | string };
  const keys = spine.key === undefined ? [] : Array.isArray(spine.key) ? spine.key : [spine.key];
  const columns: Record<string, Vector> = {};
  for (const k of keys) {
    const v = set.table.getChild(k);
    if (v !== null) columns[k] = v;
  }
  columns[set.timeColumn] = set.table.getChild(set.timeColumn)!;
  columns[set.labelName] = set.table.getChild(set.labelName)!;
  if (meta.task === 'multiclass') {
    const classes = meta.classes!;
    const k = classes.length;
    classes.forEach((c, j) => (columns[`p_${c}`] = makeVector(Float32Array.from({ length: set.rows }, (_, i) => pred[i * k + j]!))));
    const best = new Float64Array(set.rows);
    for (let i = 0; i < set.rows; i++) {
      let b = 0;
      for (let j = 1; j < k; j++) if (pred[i * k + j]! > pred[i * k + b]!) b = j;
      best[i] = classes[b]!;
    }
    columns.prediction = makeVector(best);
  } else columns.prediction = makeVector(pred);
  const t = new Table(columns);
  const metadata = new Map([
    ['tributary.set', set.table.schema.metadata.get(SET_METADATA.set) ?? ''],
    ['tributary.model', JSON.stringify({ kind: meta.kind, task: meta.task, label: meta.label, features: meta.preprocessing.features })],
  ]);
  return new Table(new Schema(t.schema.fields, metadata), t.batches);
}
