import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Field, Float32, Float64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, TimeUnit, Timestamp, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { ModelMeta } from './model.js';
import type { Predictions } from './modelOutput.js';

/** The end-of-stream marker of the Arrow IPC stream format: a continuation token and a zero length. */
const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/**
 * Live predictions, appended to an Arrow IPC **stream** file one record batch per scored micro-batch,
 * so a reader sees every batch written so far even while the run goes on (or after a crash: a stream
 * without its end marker reads up to its last whole batch). Columns: the set's keys (as text), the
 * time, `prediction` (as `tributary infer` writes it), `score` (see `Predictions`), and for a
 * multiclass label `p_<class>`.
 *
 * The schema message is written once; each append writes the record batch message alone (the bytes
 * after the schema of a one-batch stream, which are the same schema every time).
 *
 * @example
 * const log = new PredictionLog('.tributary/payments/live/predictions/fraud_7d.arrows', ['txn_id', 'card_id'], 'ts', meta);
 * log.append(rows, predictionsOf(meta, scores, rows.length));
 * log.close();
 * tableFromIPC(readFileSync(log.file)).numRows; // every row appended
 */
export class PredictionLog {
  readonly schema: Schema;
  private fd: number | undefined;
  private prefix: Uint8Array | undefined;
  private written = 0;

  constructor(
    readonly file: string,
    private readonly keys: readonly string[],
    timeColumn: string,
    meta: ModelMeta,
  ) {
    const fields = [
      ...keys.map((k) => new Field(k, new Utf8(), true)),
      new Field(timeColumn, new Timestamp(TimeUnit.MILLISECOND, 'UTC'), false),
      new Field('prediction', new Float64(), false),
      new Field('score', new Float32(), false),
      ...(meta.task === 'multiclass' ? meta.classes!.map((c) => new Field(`p_${c}`, new Float32(), false)) : []),
    ];
    this.schema = new Schema(fields, new Map([['tributary.model', JSON.stringify({ kind: meta.kind, task: meta.task, label: meta.label, set: meta.trainedOn.set ?? null })]]));
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.written;
  }

  /**
   * Append one scored batch: `rows` holds the key columns and the time, `p` its predictions.
   * @throws Error when a key column is missing, or after `close()`
   */
  append(rows: Batch, p: Predictions): void {
    if (this.fd === undefined) throw new Error(`${this.file}: the prediction log is closed`);
    const n = rows.length;
    if (n === 0) return;
    const children: Data[] = [];
    for (const k of this.keys) {
      const c = rows.columns[k];
      if (c === undefined) throw new Error(`the scored rows have no key column "${k}"`);
      children.push(vectorFromArray(texts(c, n), new Utf8()).data[0]!);
    }
    children.push(makeData({ type: new Timestamp(TimeUnit.MILLISECOND, 'UTC'), length: n, nullCount: 0, data: BigInt64Array.from(rows.time, (t) => BigInt(Math.trunc(t))) }));
    children.push(makeData({ type: new Float64(), length: n, nullCount: 0, data: p.prediction }));
    children.push(makeData({ type: new Float32(), length: n, nullCount: 0, data: p.score }));
    for (const c of p.perClass ?? []) children.push(makeData({ type: new Float32(), length: n, nullCount: 0, data: c }));
    const struct = makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children });
    const bytes = tableToIPC(new Table(this.schema, [new RecordBatch(this.schema, struct)]), 'stream');
    const body = endsWithEos(bytes) ? bytes.subarray(0, bytes.length - EOS.length) : bytes;
    if (this.prefix === undefined) {
      this.prefix = schemaPrefix(this.schema);
      writeAll(this.fd, body);
    } else {
      if (!startsWith(body, this.prefix)) throw new Error('internal: the Arrow schema message changed between batches');
      writeAll(this.fd, body.subarray(this.prefix.length));
    }
    this.written += n;
  }

  /** Write the end-of-stream marker and close the file (an empty log still gets its schema). */
  close(): void {
    if (this.fd === undefined) return;
    if (this.prefix === undefined) writeAll(this.fd, schemaPrefix(this.schema));
    writeAll(this.fd, EOS);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The schema message of a stream with this schema (its bytes before the first record batch). */
function schemaPrefix(schema: Schema): Uint8Array {
  const bytes = tableToIPC(new Table(schema), 'stream');
  return (endsWithEos(bytes) ? bytes.subarray(0, bytes.length - EOS.length) : bytes).slice();
}

function endsWithEos(b: Uint8Array): boolean {
  if (b.length < EOS.length) return false;
  for (let i = 0; i < EOS.length; i++) if (b[b.length - EOS.length + i] !== EOS[i]) return false;
  return true;
}

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

function writeAll(fd: number, b: Uint8Array): void {
  let at = 0;
  while (at < b.length) at += writeSync(fd, b, at, b.length - at);
}

/** A key column as text, null as null (the output is for people and joins, not for hot loops). */
function texts(c: Column, n: number): (string | null)[] {
  const out: (string | null)[] = new Array(n);
  const v = c.validity;
  for (let i = 0; i < n; i++) {
    if (v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = null;
    else out[i] = c.type === 'dictionary' ? String(c.dictionary.decode(c.codes[i]!)) : String(c.values[i]!);
  }
  return out;
}
