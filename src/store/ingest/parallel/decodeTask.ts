import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CsvParser, CsvRows } from '../csv.js';
import { JsonLines, LineSplitter } from '../jsonLines.js';
import type { DecodeRangeTask, DecodedRange } from './decoded.js';
import { RangeRows } from './rangeRows.js';

/** Bytes read at a time: the range's text is never held whole. */
const READ_BYTES = 1 << 20;

/**
 * The pool task: decode one byte range of a CSV or JSON-lines file. It reads the range itself (only
 * its bounds travel), parses it with the sequential import's own parser and checks (CsvRows,
 * JsonLines, RowColumns), and returns the rows as columns with the range's own dictionaries, plus its
 * dead letters numbered from the start of the range.
 *
 * @example
 * const part = await pool.run<DecodedRange>(DECODE_TASK, 'decodeRange', { file, format: 'jsonl', start: 0, end: 8 << 20, spec });
 */
export async function decodeRange(task: DecodeRangeTask): Promise<DecodedRange> {
  const sink = new RangeRows(task.spec);
  if (task.format === 'csv') {
    if (task.index === undefined || task.width === undefined) throw new Error('a CSV range needs the header index and width');
    const parser = new CsvParser();
    const rows = new CsvRows(sink, task.index, task.width);
    await readRange(task, (text) => rows.take(parser.push(text)));
    rows.take(parser.end(), parser.unterminatedQuote);
    return sink.result(rows.row);
  }
  const splitter = new LineSplitter();
  const lines = new JsonLines(sink);
  await readRange(task, (text) => lines.take(splitter.push(text)));
  lines.take(splitter.end());
  return sink.result(lines.line);
}

/** Feed the range's bytes [start, end) to `take` as text, a piece at a time. */
async function readRange(task: DecodeRangeTask, take: (text: string) => void): Promise<void> {
  const fh = await open(task.file, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(1, task.end - task.start)));
    let pos = task.start;
    while (pos < task.end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, task.end - pos), pos);
      if (bytesRead === 0) throw new Error(`${task.file}: the file ended at byte ${pos}, before ${task.end}: it changed while it was imported`);
      pos += bytesRead;
      take(decoder.write(buf.subarray(0, bytesRead)));
    }
    const rest = decoder.end();
    if (rest !== '') take(rest);
  } finally {
    await fh.close();
  }
}
