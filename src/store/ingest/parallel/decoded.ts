import type { DictionaryValue } from '../../../pipelines/data/dictionary.js';
import type { SourceSpec } from '../../log/sourceSpec.js';

/** What a decode task is asked to do: one byte range of a text file. Plain data, cloned to the thread. */
export interface DecodeRangeTask {
  file: string;
  format: 'csv' | 'jsonl';
  /** The byte range [start, end): whole records (CSV data records after the header; JSON lines). */
  start: number;
  end: number;
  spec: SourceSpec;
  /** CSV: where each field is in a record (-1: absent), from the header the calling thread read; and the header's width. */
  index?: Int32Array;
  width?: number;
}

/** One stored column of a decoded range, in schema order. */
export interface DecodedColumn {
  /** Numbers, or for dictionary columns Int32 codes into `dictionary` (0 under a null). */
  values: Float64Array | Int32Array | Uint8Array;
  /** Null bitmap (bit set = valid), when the range has a null in this column. */
  validity?: Uint8Array;
  /** Dictionary columns: the range's own dictionary, each distinct value once, in first-seen order. */
  dictionary?: DictionaryValue[];
}

/** A range's bad row: `row` is counted from the start of the range (1-based). */
export interface RangeDeadLetter {
  row: number;
  reason: string;
  raw?: string;
}

/**
 * A decoded range: columnar, with buffers transferred to the calling thread, never per-row objects
 * (dead letters are the exception: they are few, and each is written out as one anyway).
 */
export interface DecodedRange {
  /** Input records (CSV data records, or JSON lines, blank ones included), good and bad. */
  records: number;
  /** Good rows: the length of `time` and of every column. */
  rows: number;
  time: Float64Array;
  columns: DecodedColumn[];
  deadLetters: RangeDeadLetter[];
}
