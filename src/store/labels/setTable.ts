import { Field, RecordBatch, Schema, Struct, Table, makeData, type Data } from 'apache-arrow';
import { columnToArrow, TYPE_METADATA } from '../../pipelines/data/arrow.js';
import type { Column, NumberColumn } from '../../pipelines/data/column.js';
import { featureMatrixData } from './featureMatrix.js';

/** Name of the row-major features matrix column. */
export const MATRIX_COLUMN = 'features';

/** What a set table is made of, all columns row-aligned. */
export interface SetTableParts {
  /** Key columns, in order (dictionary-encoded, as the spine has them). */
  keys: [string, Column][];
  timeColumn: string;
  time: Float64Array;
  features: [string, NumberColumn][];
  label: [string, NumberColumn];
  matrix: Float32Array;
  /** Schema metadata; values are strings (JSON where structured). */
  metadata: Record<string, string>;
}

/**
 * A feature-label set as one Arrow record batch: the key columns, the time (Timestamp ms UTC), one
 * Float64 column per feature, the label (Float64), and `features`, a FixedSizeList<Float32> whose
 * child buffer is the row-major matrix itself. One batch, so the whole matrix is one buffer.
 *
 * @example
 * const table = setTable({ keys: [['card_id', cardIds]], timeColumn: 'ts', time, features, label: ['fraud_7d', label], matrix, metadata: {} });
 * table.getChild('features')!.type; // FixedSizeList[2]<Float32>
 * @throws Error when two columns would have the same name
 */
export function setTable(p: SetTableParts): Table {
  const rows = p.time.length;
  const fields: Field[] = [];
  const children: Data[] = [];
  const names = new Set<string>();
  const add = (name: string, c: Column, nullable: boolean): void => {
    if (names.has(name)) throw new Error(`the set would have two columns named "${name}"`);
    names.add(name);
    const { data, type, logical } = columnToArrow(c);
    fields.push(new Field(name, type, nullable, new Map([[TYPE_METADATA, logical]])));
    children.push(data);
  };
  for (const [name, c] of p.keys) add(name, c, true);
  add(p.timeColumn, { type: 'timestamp', values: p.time }, false);
  for (const [name, c] of p.features) add(name, c, true);
  add(p.label[0], p.label[1], true);
  if (names.has(MATRIX_COLUMN)) throw new Error(`the set would have two columns named "${MATRIX_COLUMN}" (the features matrix)`);
  const width = p.features.length;
  const matrix = featureMatrixData(p.matrix, rows, width);
  fields.push(new Field(MATRIX_COLUMN, matrix.type, false));
  children.push(matrix);
  const schema = new Schema(fields, new Map(Object.entries(p.metadata)));
  const struct = makeData({ type: new Struct(fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}
