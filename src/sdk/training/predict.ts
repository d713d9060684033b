import { Schema, Table, makeVector, type Vector } from 'apache-arrow';
import { SET_METADATA } from '../../store/labels/setMetadata.js';
import type { SetData } from './bridge.js';
import type { ModelMeta } from './model.js';
import { predictionsOf } from './modelOutput.js';
import { predictRows } from './train.js';
import type { tf } from './tf.js';

/**
 * Score every row of a set (an inference set keeps the rows past the end of the data, with a null
 * label) and return the predictions as an Arrow table: the set's key columns and time (the same
 * Arrow vectors, not copied), the label as the set had it (null where not known yet), and
 * `prediction` (binary: P(label = 1); regression: the value) or, multiclass, `p_<class>` per class
 * plus `prediction`, the most likely class. Live scoring writes the same `prediction`.
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
  const p = predictionsOf(meta, pred, set.rows);
  p.perClass?.forEach((values, j) => (columns[`p_${meta.classes![j]}`] = makeVector(values)));
  columns.prediction = makeVector(p.prediction);
  const t = new Table(columns);
  const metadata = new Map([
    ['tributary.set', set.table.schema.metadata.get(SET_METADATA.set) ?? ''],
    ['tributary.model', JSON.stringify({ kind: meta.kind, task: meta.task, label: meta.label, features: meta.preprocessing.features })],
  ]);
  return new Table(new Schema(t.schema.fields, metadata), t.batches);
}
