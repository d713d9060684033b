import { createReadStream } from 'node:fs';
import { fieldPath, valueAtPath, type FieldPath } from './fieldPath.js';
import { messageOf, type ReadProgress } from './progress.js';
import type { RowBuilder } from './rowBuilder.js';
import type { RowSink } from './rowSink.js';

/**
 * Split streamed text into lines (LF or CRLF). Lines are handed out one piece of text at a time,
 * so a file is never held whole.
 */
export class LineSplitter {
  private rest = '';

  /** The complete lines in `text` (plus what was left from before); keeps the unfinished tail. */
  push(text: string): string[] {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop()!;
    return lines;
  }

  /** The last line, when the text did not end with a line break. */
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

/**
 * JSON lines checked into a sink, line by line: what the sequential reader and the parallel decode
 * tasks share. Lines are numbered from `firstLine + 1`, blank ones included (they are skipped, not
 * rejected); a line that is not a JSON object is a dead letter. Column names that are dotted paths
 * reach into nested objects (`attributes.page`).
 *
 * @example
 * const lines = new JsonLines(sink);
 * lines.take(splitter.push(text));
 * lines.take(splitter.end());
 * lines.line; // lines seen
 */
export class JsonLines {
  /** Lines taken so far (blank ones too), plus `firstLine`. */
  line: number;
  private readonly paths: FieldPath[];
  private readonly values: unknown[];

  constructor(
    private readonly sink: RowSink,
    firstLine = 0,
  ) {
    this.paths = sink.fields.map(fieldPath);
    this.values = new Array(this.paths.length);
    this.line = firstLine;
  }

  /** Check `lines` (without their LF; a CR before it is dropped here) into the sink. */
  take(lines: string[]): void {
    const { sink, paths, values } = this;
    for (const raw of lines) {
      const line = ++this.line;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        sink.reject(line, `malformed line: ${messageOf(err)}`, text);
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        sink.reject(line, 'malformed line: not a JSON object', text);
        continue;
      }
      for (let k = 0; k < paths.length; k++) values[k] = valueAtPath(obj as Record<string, unknown>, paths[k]!);
      const reason = sink.tryAdd(values);
      if (reason !== undefined) sink.reject(line, reason, text);
    }
  }
}

/**
 * Read JSON lines (one object a line) into `builder`, streaming. Blank lines are skipped. Column names
 * that are dotted paths reach into nested objects (`attributes.page`). Row numbers in dead letters are
 * 1-based line numbers of the file, so that blank lines count and an editor finds the line.
 */
export async function readJsonLinesFile(file: string, builder: RowBuilder, progress: ReadProgress): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const splitter = new LineSplitter();
  const lines = new JsonLines(builder);

  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      first = false;
      lines.take(splitter.push(text));
      await builder.drain();
      progress(lines.line, stream.bytesRead);
    }
  } finally {
    stream.destroy();
  }
  lines.take(splitter.end());
  progress(lines.line, stream.bytesRead);
}
