import { tableFromIPC, Type, type DataType, type Schema, type Table, type Vector } from 'apache-arrow';
import type { ColumnType } from '../../../pipelines/data/column.js';
import type { TimeFormat } from '../../../pipelines/data/time.js';
import { locateColumn, walk, type ColumnRef } from '../../../store/ingest/fieldPath.js';
import { messageOf } from '../../../store/ingest/progress.js';
import type { LiveRows } from '../liveRows.js';
import { columnarBatch } from './arrowColumns.js';
import type { MessageDecoder } from './types.js';

/** How one message schema maps onto the source's fields, or why it cannot. */
type Plan = { refs: (ColumnRef | undefined)[]; timeFormat: TimeFormat | undefined } | { wrong: string };

/** Arrow types each logical column type can be read from, value by value, with import's conversions. */
const READABLE: Record<ColumnType | 'time', ReadonlySet<Type>> = {
  string: new Set([Type.Utf8, Type.LargeUtf8, Type.Int, Type.Float, Type.Bool, Type.Null]),
  float64: new Set([Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8, Type.Null]),
  int64: new Set([Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8, Type.Null]),
  int32: new Set([Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8, Type.Null]),
  bool: new Set([Type.Bool, Type.Int, Type.Utf8, Type.LargeUtf8, Type.Null]),
  timestamp: new Set([Type.Timestamp, Type.Date, Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8, Type.Null]),
  time: new Set([Type.Timestamp, Type.Date, Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8]),
};

/** Schemas seen recently, by signature: producers send the same one over and over. */
const PLAN_CACHE = 16;

/** A dictionary-encoded field is read as its values. */
function valueType(t: DataType): DataType {
  return t.typeId === Type.Dictionary ? (t as unknown as { dictionary: DataType }).dictionary : t;
}

/**
 * Decodes messages that each hold one Arrow IPC stream (or file) into a source's open micro-batch.
 *
 * The message's schema must have the time column and every key, and no column of a type the source's
 * type cannot be read from (a struct for a float, text for a bool is fine, a list is not): otherwise
 * the message is rejected as a whole (`wrong schema`). Extra columns are ignored and missing non-key
 * columns are null, as at import. Rows are then validated with import's rules and reasons: plainly
 * good rows of common column types are read column by column from the Arrow buffers (arrowColumns.ts),
 * every other row value by value. Bytes that are not Arrow IPC are rejected as a `malformed message`.
 *
 * @example
 * const decode = arrowStreamDecoder(rows);
 * decode(tableToIPC(tableFromArrays({ ts: [1, 2], card: ['a', 'b'] }), 'stream'), (row, reason) => console.log(row, reason));
 */
export function arrowStreamDecoder(rows: LiveRows): MessageDecoder {
  const plans = new Map<string, Plan>();
  const values: unknown[] = new Array(rows.fields.length);
  const dictionaries = rows.columnDictionaries();
  const scratch = new Float64Array(rows.columns.length);
  const nulls = new Uint8Array(rows.columns.length);
  const types: (ColumnType | 'time')[] = ['time', ...rows.columns.map((c) => c.type)];

  const planFor = (schema: Schema): Plan => {
    const signature = schema.fields.map((f) => `${f.name}:${String(f.type)}`).join('\u0000');
    const cached = plans.get(signature);
    if (cached !== undefined) return cached;
    const names = schema.fields.map((f) => f.name);
    const refs = rows.fields.map((f) => locateColumn(f, names));
    let plan: Plan | undefined;
    for (const f of rows.required) {
      if (refs[rows.fields.indexOf(f)] === undefined) {
        plan = { wrong: `no ${f === rows.fields[0] ? 'time' : 'key'} column "${f}" (columns: ${names.join(', ')})` };
        break;
      }
    }
    if (plan === undefined) {
      for (let k = 0; k < refs.length; k++) {
        const ref = refs[k];
        if (ref === undefined || ref.parts !== undefined) continue; // struct paths are checked row by row
        const field = schema.fields.find((f) => f.name === ref.column)!;
        const t = valueType(field.type);
        if (!READABLE[types[k]!].has(t.typeId)) {
          plan = { wrong: `column "${field.name}" is ${String(field.type)}, which cannot hold ${types[k] === 'time' ? 'an event time' : `a ${types[k]}`}` };
          break;
        }
      }
    }
    if (plan === undefined) {
      const timeRef = refs[0]!;
      const timeType = timeRef.parts === undefined ? valueType(schema.fields.find((f) => f.name === timeRef.column)!.type).typeId : undefined;
      // Typed timestamps are epoch ms already, whatever the source's time format says (as at import).
      plan = { refs, timeFormat: timeType === Type.Timestamp || timeType === Type.Date ? 'epoch_ms' : undefined };
    }
    if (plans.size >= PLAN_CACHE) plans.delete(plans.keys().next().value!);
    plans.set(signature, plan);
    return plan;
  };

  return (payload, reject) => {
    let table: Table;
    try {
      table = tableFromIPC(payload);
    } catch (err) {
      return `malformed message: not an Arrow IPC stream (${messageOf(err)})`;
    }
    if (table.schema.fields.length === 0) return 'malformed message: not an Arrow IPC stream (no schema in it)';
    const plan = planFor(table.schema);
    if ('wrong' in plan) return `wrong schema: ${plan.wrong}`;
    const { refs } = plan;
    const timeFormat = plan.timeFormat ?? rows.timeFormat;
    let row = 0;
    for (const rb of table.batches) {
      const vectors: (Vector | undefined)[] = refs.map((r) => (r === undefined ? undefined : (rb.getChild(r.column) ?? undefined)));
      // The row path: values one by one, import's rules; the authority on every row it is given.
      const byRow = (r: number): string | undefined => {
        for (let k = 0; k < refs.length; k++) {
          const v = vectors[k]?.get(r);
          const parts = refs[k]?.parts;
          values[k] = parts === undefined ? v : walk(v, parts, 0);
        }
        return rows.tryAdd(values, timeFormat);
      };
      const fast = columnarBatch(rb, refs, rows.columns, dictionaries, timeFormat);
      for (let r = 0; r < rb.numRows; r++) {
        row++;
        let reason: string | undefined;
        if (fast !== undefined && fast.plain(r)) {
          fast.fill(r, scratch, nulls);
          reason = rows.addChecked(fast.time(r), scratch, nulls);
        } else {
          reason = byRow(r);
        }
        if (reason !== undefined) reject(row, reason);
      }
    }
    return undefined;
  };
}
