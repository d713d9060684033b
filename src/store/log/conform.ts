import type { Batch } from '../../pipelines/data/batch.js';
import type { Column, DictColumn } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { isValid } from '../../pipelines/data/validity.js';
import { timeBounds } from './pendingRows.js';
import type { StoredColumn } from './sourceSpec.js';

/** A batch checked against a source's schema, with the time range of its rows. */
export interface ConformedBatch {
  readonly batch: Batch;
  readonly minTime: number;
  readonly maxTime: number;
}

/**
 * Check that `batch` has exactly the source's columns, with the right storage, and finite event times.
 * Dictionary columns built on another Dictionary are re-coded onto the source's running one, so that
 * every segment's codes are stable. Offsets and watermarks are dropped: the log assigns offsets.
 */
export function conformBatch(source: string, batch: Batch, columns: readonly StoredColumn[], dictionaries: Map<string, Dictionary>): ConformedBatch {
  const where = `append to source ${source}`;
  const { time } = batch;
  for (let i = 0; i < time.length; i++) {
    if (!Number.isFinite(time[i]!)) throw new Error(`${where}: row ${i} has event time ${time[i]}`);
  }
  const { minTime, maxTime } = timeBounds(time);
  const out: Record<string, Column> = {};
  for (const col of columns) {
    const c = batch.columns[col.name];
    if (c === undefined) throw new Error(`${where}: the batch has no column ${col.name}`);
    if (col.dictionary) {
      if (c.type !== 'dictionary') throw new Error(`${where}: column ${col.name} must be dictionary-encoded, got ${c.type}`);
      const running = dictionaries.get(col.name)!;
      out[col.name] = c.dictionary === running ? c : recode(c, running);
    } else {
      if (c.type !== col.type) throw new Error(`${where}: column ${col.name} must be ${col.type}, got ${c.type}`);
      out[col.name] = c;
    }
  }
  for (const name of Object.keys(batch.columns)) {
    if (!(name in out)) throw new Error(`${where}: column ${name} is not in the source's schema`);
  }
  return { batch: { length: batch.length, time, columns: out }, minTime, maxTime };
}

/** Codes of `c` translated onto `target`: each distinct value is looked up once, not once a row. */
function recode(c: DictColumn, target: Dictionary): DictColumn {
  const table = new Int32Array(c.dictionary.size).fill(-1);
  const codes = new Int32Array(c.codes.length);
  for (let i = 0; i < codes.length; i++) {
    if (!isValid(c.validity, i)) continue; // a null's code means nothing; leave 0
    const from = c.codes[i]!;
    let to = table[from]!;
    if (to < 0) {
      to = target.encode(c.dictionary.decode(from));
      table[from] = to;
    }
    codes[i] = to;
  }
  return { type: 'dictionary', codes, dictionary: target, ...(c.validity && { validity: c.validity }) };
}
