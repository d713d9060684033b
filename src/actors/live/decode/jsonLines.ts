import { isUtf8 } from 'node:buffer';
import { fieldPath, valueAtPath, type FieldPath } from '../../../store/ingest/fieldPath.js';
import { messageOf } from '../../../store/ingest/progress.js';
import type { LiveRows } from '../liveRows.js';
import type { RowRejected } from './types.js';

/**
 * Decodes messages of JSON lines (one JSON object a line; one or many lines a message) into a
 * source's open micro-batch.
 *
 * Each line is judged alone, as import judges a line of a file: a line that is not a JSON object is
 * a `malformed line`, a row with a bad timestamp, a missing key or a wrong type is a dead letter with
 * that reason, and the rest of the message is still used. A message that is not UTF-8 text, or in
 * which no line is JSON at all, is rejected as a whole (`malformed message`). Parsed objects live
 * only while their line is read.
 *
 * @example
 * const decode = jsonLinesDecoder(rows);
 * decode(Buffer.from('{"ts":1,"card":"a"}\n{"ts":2,"card":"b"}\n'), (line, reason) => console.log(line, reason));
 */
export function jsonLinesDecoder(rows: LiveRows): (payload: Uint8Array, reject: RowRejected) => string | undefined {
  const paths: FieldPath[] = rows.fields.map(fieldPath);
  const values: unknown[] = new Array(paths.length);
  return (payload, reject) => {
    if (!isUtf8(payload)) return 'malformed message: not UTF-8 text';
    let text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split('\n');
    // First pass: is any line JSON at all? A message of binary noise or of prose is one rejection.
    let parsed = 0;
    let firstError: unknown;
    const objects: unknown[] = new Array(lines.length);
    const errors: (string | undefined)[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      lines[i] = line;
      if (line.trim() === '') continue;
      try {
        objects[i] = JSON.parse(line);
        parsed++;
      } catch (err) {
        errors[i] = messageOf(err);
        firstError ??= err;
      }
    }
    if (parsed === 0) return firstError === undefined ? 'malformed message: no events in it' : `malformed message: not JSON lines (${messageOf(firstError)})`;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      const obj = objects[i];
      objects[i] = undefined;
      const error = errors[i];
      if (error !== undefined) {
        reject(i + 1, `malformed line: ${error}`, line);
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        reject(i + 1, 'malformed line: not a JSON object', line);
        continue;
      }
      for (let k = 0; k < paths.length; k++) values[k] = valueAtPath(obj as Record<string, unknown>, paths[k]!);
      const reason = rows.tryAdd(values);
      if (reason !== undefined) reject(i + 1, reason, line);
    }
    return undefined;
  };
}
