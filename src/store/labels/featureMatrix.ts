import { Field, FixedSizeList, Float32, makeData, type Data, type Table } from 'apache-arrow';
import type { NumberColumn } from '../../pipelines/data/column.js';

/**
 * The features of a set as one row-major Float32 matrix: row i, feature j at `i * width + j`.
 * A null feature is NaN (Float32 has no null; impute or mask NaN before training).
 *
 * @example
 * const m = buildFeatureMatrix([amountZ, failedLogins], rows); // Float32Array(rows * 2)
 */
export function buildFeatureMatrix(columns: readonly NumberColumn[], rows: number): Float32Array {
  const width = columns.length;
  const out = new Float32Array(rows * width);
  columns.forEach((col, j) => {
    const x = col.values;
    const v = col.validity;
    if (v === undefined) {
      for (let i = 0, p = j; i < rows; i++, p += width) out[p] = x[i]!;
    } else {
      for (let i = 0, p = j; i < rows; i++, p += width) out[p] = ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? x[i]! : NaN;
    }
  });
  return out;
}

/**
 * The matrix as Arrow data of type FixedSizeList<Float32>[width]. The child's buffer **is**
 * `matrix` (no copy), so it stays one contiguous block of rows × width floats. The list has no
 * nulls and neither has its child: nulls are NaN.
 */
export function featureMatrixData(matrix: Float32Array, rows: number, width: number): Data<FixedSizeList<Float32>> {
  if (matrix.length !== rows * width) throw new Error(`a ${rows} × ${width} matrix needs ${rows * width} floats, got ${matrix.length}`);
  const child = makeData({ type: new Float32(), length: rows * width, nullCount: 0, data: matrix });
  const type = new FixedSizeList(width, new Field('item', new Float32(), false));
  return makeData({ type, length: rows, nullCount: 0, child });
}

/**
 * The features matrix of a set table, for `tf.tensor2d(data, [rows, width])` with no copy: a view
 * of the FixedSizeList column's child buffer. A table of one record batch (every set Tributary
 * writes) gives a view; several batches are concatenated into a new array (one copy).
 *
 * @example
 * const set = tableFromIPC(readFileSync('.tributary/payments/sets/fraud_7d.arrow'));
 * const { data, rows, width } = featureMatrix(set);
 * const x = tf.tensor2d(data, [rows, width]); // the CPU backend keeps the view
 */
export function featureMatrix(table: Table, column = 'features'): { data: Float32Array; rows: number; width: number } {
  const vector = table.getChild(column);
  if (vector === null) throw new Error(`the table has no column "${column}"`);
  const type = vector.type as unknown;
  if (!(type instanceof FixedSizeList)) throw new Error(`column "${column}" is not a FixedSizeList`);
  const width = type.listSize;
  const rows = vector.length;
  const views = vector.data.map((d) => {
    const child = d.children[0]!;
    // Slicing Arrow data narrows a primitive's values buffer to the slice, so it starts at 0.
    return (child.values as Float32Array).subarray(0, d.length * width);
  });
  if (views.length === 1) return { data: views[0]!, rows, width };
  const data = new Float32Array(rows * width);
  let at = 0;
  for (const v of views) {
    data.set(v, at);
    at += v.length;
  }
  return { data, rows, width };
}
