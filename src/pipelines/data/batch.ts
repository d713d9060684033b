import { type Column, columnLength, concatColumns, sliceColumn, takeColumn } from './column.js';
import { Dictionary } from './dictionary.js';
import { allocValidity, type Validity } from './validity.js';

/**
 * A columnar micro-batch of events: the unit that moves through every pipeline.
 *
 * Event time is epoch milliseconds in a Float64Array. Columns are typed arrays, key and categorical
 * columns are dictionary codes. There is no per-row object anywhere. `toRecordBatch` (./arrow.ts)
 * turns a batch into an Arrow RecordBatch, sharing the numeric and code buffers.
 *
 * @example
 * const b = makeBatch(Float64Array.of(1000, 2000), { amount: float64Column(Float64Array.of(9.5, 3)) });
 * b.length; // 2
 */
export interface Batch {
  readonly length: number;
  /** Event time of each row, epoch ms. */
  readonly time: Float64Array;
  readonly columns: Readonly<Record<string, Column>>;
  /** Position of each row in its source's event log, when the batch came from one. */
  readonly offsets?: Float64Array;
  /**
   * The source's watermark once this batch is seen: no later event with a smaller time is expected.
   * An empty batch that only carries a watermark is how time advances without events.
   */
  readonly watermark?: number;
}

export function makeBatch(
  time: Float64Array,
  columns: Record<string, Column>,
  extra: { offsets?: Float64Array; watermark?: number } = {},
): Batch {
  for (const [name, c] of Object.entries(columns)) {
    if (columnLength(c) !== time.length) {
      throw new Error(`column ${name} has ${columnLength(c)} rows, the batch has ${time.length}`);
    }
  }
  return { length: time.length, time, columns, ...extra };
}

/** A batch with no rows that only moves the watermark forward. */
export function watermarkBatch(watermark: number): Batch {
  return { length: 0, time: new Float64Array(0), columns: {}, watermark };
}

/** Rows `index[0..n)` of `b`, in that order (a copy). */
export function takeBatch(b: Batch, index: ArrayLike<number>, n = index.length): Batch {
  const time = new Float64Array(n);
  for (let i = 0; i < n; i++) time[i] = b.time[index[i]!]!;
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(b.columns)) columns[name] = takeColumn(c, index, n);
  let offsets: Float64Array | undefined;
  if (b.offsets !== undefined) {
    offsets = new Float64Array(n);
    for (let i = 0; i < n; i++) offsets[i] = b.offsets[index[i]!]!;
  }
  return { length: n, time, columns, ...(offsets && { offsets }), ...(b.watermark !== undefined && { watermark: b.watermark }) };
}

/** Rows `[start, end)` of `b`, as views over the same buffers. */
export function sliceBatch(b: Batch, start: number, end: number): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(b.columns)) columns[name] = sliceColumn(c, start, end);
  return {
    length: end - start,
    time: b.time.subarray(start, end),
    columns,
    ...(b.offsets && { offsets: b.offsets.subarray(start, end) }),
    ...(b.watermark !== undefined && { watermark: b.watermark }),
  };
}

/** The batches end to end; they must have the same columns. The watermark is the last one given. */
export function concatBatches(parts: readonly Batch[]): Batch {
  const nonEmpty = parts.filter((p) => p.length > 0);
  const watermark = parts.reduce<number | undefined>((w, p) => p.watermark ?? w, undefined);
  if (nonEmpty.length === 1) return { ...nonEmpty[0]!, ...(watermark !== undefined && { watermark }) };
  if (nonEmpty.length === 0) {
    const columns = parts[0]?.columns ?? {};
    return { length: 0, time: new Float64Array(0), columns, ...(watermark !== undefined && { watermark }) };
  }
  const total = nonEmpty.reduce((n, p) => n + p.length, 0);
  const time = new Float64Array(total);
  let at = 0;
  for (const p of nonEmpty) {
    time.set(p.time, at);
    at += p.length;
  }
  const columns: Record<string, Column> = {};
  for (const name of Object.keys(nonEmpty[0]!.columns)) {
    columns[name] = concatColumns(nonEmpty.map((p) => {
      const c = p.columns[name];
      if (c === undefined) throw new Error(`column ${name} is missing from a batch being concatenated`);
      return c;
    }));
  }
  let offsets: Float64Array | undefined;
  if (nonEmpty.every((p) => p.offsets !== undefined)) {
    offsets = new Float64Array(total);
    at = 0;
    for (const p of nonEmpty) {
      offsets.set(p.offsets!, at);
      at += p.length;
    }
  }
  return { length: total, time, columns, ...(offsets && { offsets }), ...(watermark !== undefined && { watermark }) };
}

/** Dictionaries up to this size go into a checkpoint whole; larger ones only with the codes used. */
const WHOLE_DICTIONARY_MAX = 4096;

/**
 * Rows `(part[i], index[i])` of batches with the same columns, gathered into one batch (a k-way
 * merge's output). Dictionary columns over one dictionary keep it; over several, the gathered rows
 * get a new dictionary of the values they use.
 *
 * @example
 * // b's row 0, then a's row 1
 * const merged = gatherRows([a, b], Int32Array.of(1, 0), Int32Array.of(0, 1));
 */
export function gatherRows(parts: readonly Batch[], part: Int32Array | Uint16Array, index: Int32Array): Batch {
  const n = part.length;
  const first = parts[0]!;
  const f64 = (srcs: readonly Float64Array[]) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = srcs[part[i]!]![index[i]!]!;
    return out;
  };
  const time = f64(parts.map((p) => p.time));
  const offsets = parts.every((p) => p.offsets !== undefined) ? f64(parts.map((p) => p.offsets!)) : undefined;
  const columns: Record<string, Column> = {};
  for (const [name, c0] of Object.entries(first.columns)) {
    const cols = parts.map((p) => {
      const c = p.columns[name];
      if (c === undefined || c.type !== c0.type) throw new Error(`gatherRows: column ${name} differs between the batches`);
      return c;
    });
    let validity: Validity | undefined;
    if (cols.some((c) => c.validity !== undefined)) {
      validity = allocValidity(n, false);
      for (let i = 0; i < n; i++) {
        const v = cols[part[i]!]!.validity;
        const j = index[i]!;
        if (v === undefined || ((v[j >> 3]! >> (j & 7)) & 1) === 1) validity[i >> 3]! |= 1 << (i & 7);
      }
    }
    const nulls = validity === undefined ? {} : { validity };
    if (c0.type === 'dictionary') {
      const dcols = cols as Extract<Column, { type: 'dictionary' }>[];
      const codes = new Int32Array(n);
      if (dcols.every((c) => c.dictionary === c0.dictionary)) {
        for (let i = 0; i < n; i++) codes[i] = dcols[part[i]!]!.codes[index[i]!]!;
        columns[name] = { type: 'dictionary', codes, dictionary: c0.dictionary, ...nulls };
      } else {
        // Batches over dictionaries of their own: one new dictionary for the gathered rows.
        const dictionary = new Dictionary();
        for (let i = 0; i < n; i++) {
          const c = dcols[part[i]!]!;
          const code = c.codes[index[i]!]!;
          codes[i] = code >= 0 && code < c.dictionary.size ? dictionary.encode(c.dictionary.decode(code)) : code;
        }
        columns[name] = { type: 'dictionary', codes, dictionary, ...nulls };
      }
    } else {
      const srcs = cols.map((c) => (c as Exclude<Column, { type: 'dictionary' }>).values);
      const values = new (srcs[0]!.constructor as new (n: number) => Float64Array | Int32Array | Uint8Array)(n);
      for (let i = 0; i < n; i++) values[i] = srcs[part[i]!]![index[i]!]!;
      columns[name] = { type: c0.type, values, ...nulls } as Column;
    }
  }
  return { length: n, time, columns, ...(offsets && { offsets }) };
}

/**
 * A batch as plain data for a checkpoint: typed arrays as they are, each dictionary as its values,
 * or, past WHOLE_DICTIONARY_MAX values, as its size and the values of the codes the rows use (a few
 * held rows must not carry a dictionary with one value per event; a lookup of a value they do not
 * use then misses until the rows meet the live dictionary, so the limit keeps small, categorical
 * dictionaries whole).
 * `restoreBatch` gives it back with partial stand-ins (`Dictionary.fromCheckpointEntries`);
 * `rebindDictionaries` then moves it onto the live ones, whose codes are the same because
 * dictionaries only grow.
 */
export function snapshotBatch(b: Batch): unknown {
  const columns: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(b.columns)) {
    if (c.type !== 'dictionary') columns[name] = c;
    else if (c.dictionary.size <= WHOLE_DICTIONARY_MAX) columns[name] = { ...c, dictionary: [...c.dictionary.values] };
    else columns[name] = { ...c, dictionary: { size: c.dictionary.size, entries: c.dictionary.entriesOf(c.codes.subarray(0, b.length)) } };
  }
  return { ...b, columns };
}

export function restoreBatch(snapshot: unknown): Batch {
  const s = snapshot as Batch & { columns: Record<string, Column | (Omit<Column, 'dictionary'> & { dictionary: (string | number)[] })> };
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(s.columns)) {
    if (c.type !== 'dictionary') {
      columns[name] = c as Column;
      continue;
    }
    const d = c.dictionary as unknown as { size: number; entries: [number, string | number][] } | (string | number)[];
    const dictionary = Array.isArray(d) ? Dictionary.fromCheckpoint(d) : Dictionary.fromCheckpointEntries(d.size, d.entries);
    columns[name] = { ...c, dictionary } as Column;
  }
  return { ...s, columns };
}

/**
 * `b` with each dictionary column that is a stand-in restored from a checkpoint moved onto the
 * dictionary of the same column in `like`, which must extend it. Live dictionaries stay as they are.
 */
export function rebindDictionaries(b: Batch, like: Batch): Batch {
  let columns: Record<string, Column> | undefined;
  for (const [name, c] of Object.entries(b.columns)) {
    const target = like.columns[name];
    if (c.type !== 'dictionary' || !c.dictionary.restored || target?.type !== 'dictionary' || target.dictionary === c.dictionary) continue;
    // The live one must hold every saved value at its saved code, or the held codes would mean other values.
    if (target.dictionary.size < c.dictionary.size || !c.dictionary.agreesWith(target.dictionary)) {
      throw new Error(`column ${name}: restored dictionary does not match the live one`);
    }
    columns ??= { ...b.columns };
    columns[name] = { ...c, dictionary: target.dictionary };
  }
  return columns === undefined ? b : { ...b, columns };
}
