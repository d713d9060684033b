import type { Batch } from '../../../pipelines/data/batch.js';
import type { Column } from '../../../pipelines/data/column.js';
import type { Dictionary, DictionaryValue } from '../../../pipelines/data/dictionary.js';
import { isValid, type Validity } from '../../../pipelines/data/validity.js';
import type { SourceLog } from '../../log/sourceLog.js';
import { storedColumns } from '../../log/sourceSpec.js';
import type { RowBuilder } from '../rowBuilder.js';
import type { DecodedRange } from './decoded.js';

/**
 * Hand a decoded range to the import, on the calling thread: its dead letters with the file's row
 * numbers (`rowsBefore`, the records of the ranges before it, plus the range's own), and its rows as
 * one batch on the log's dictionaries. Ranges must come in file order: then every dictionary
 * receives its values in the order a sequential import meets them, and gives them the same codes.
 *
 * A range's dictionary lists each value once, in the order its rows first use it, so encoding that
 * list onto the log's dictionary, in order, is exactly what encoding row by row would do; each row
 * then costs one Int32Array lookup.
 *
 * @example
 * let records = 0;
 * for (const part of inFileOrder) { appendRange(log, builder, part, records); records += part.records; }
 */
export function appendRange(log: SourceLog, builder: RowBuilder, part: DecodedRange, rowsBefore: number): void {
  for (const d of part.deadLetters) builder.reject(rowsBefore + d.row, d.reason, d.raw);
  if (part.rows === 0) return;
  const columns: Record<string, Column> = {};
  storedColumns(log.spec).forEach((c, j) => {
    const d = part.columns[j]!;
    // Copies out of the task's shared memory: the log keeps plain arrays, as a sequential import's.
    const validity = d.validity === undefined ? {} : { validity: d.validity.slice() };
    if (c.dictionary) {
      const dictionary = log.dictionaries.get(c.name);
      if (dictionary === undefined || d.dictionary === undefined) throw new Error(`no dictionary for column ${c.name}`);
      columns[c.name] = { type: 'dictionary', codes: recode(d.values as Int32Array, d.dictionary, dictionary, d.validity), dictionary, ...validity };
    } else {
      columns[c.name] = { type: c.type, values: d.values.slice(), ...validity } as Column;
    }
  });
  const batch: Batch = { length: part.rows, time: part.time.slice(), columns };
  builder.addChecked(batch);
}

/** Codes into the range's dictionary `values`, as codes of `into` (0 under a null, as RowColumns stores). */
function recode(codes: Int32Array, values: readonly DictionaryValue[], into: Dictionary, validity: Validity | undefined): Int32Array {
  const lookup = new Int32Array(values.length);
  for (let k = 0; k < values.length; k++) lookup[k] = into.encode(values[k]!);
  const out = new Int32Array(codes.length);
  if (validity === undefined) {
    for (let i = 0; i < codes.length; i++) out[i] = lookup[codes[i]!]!;
  } else {
    for (let i = 0; i < codes.length; i++) out[i] = isValid(validity, i) ? lookup[codes[i]!]! : 0;
  }
  return out;
}
