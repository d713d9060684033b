import { createReadStream } from 'node:fs';
import { fieldPath, valueAtPath } from './fieldPath.js';
import { messageOf, type ReadProgress } from './progress.js';
import type { RowBuilder } from './rowBuilder.js';

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
 * Read JSON lines (one object a line) into `builder`, streaming. Blank lines are skipped. Column names
 * that are dotted paths reach into nested objects (`attributes.page`). Row numbers in dead letters are
 * 1-based line numbers of the file, so that blank lines count and an editor finds the line.
 */
export async function readJsonLinesFile(file: string, builder: RowBuilder, progress: ReadProgress): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const splitter = new LineSplitter();
  const paths = builder.fields.map(fieldPath);
  const values: unknown[] = new Array(paths.length);
  let line = 0;

  const take = (lines: string[]): void => {
    for (const raw of lines) {
      line++;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        builder.reject(line, `malformed line: ${messageOf(err)}`, text);
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        builder.reject(line, 'malformed line: not a JSON object', text);
        continue;
      }
      for (let k = 0; k < paths.length; k++) values[k] = valueAtPath(obj as Record<string, unknown>, paths[k]!);
      const reason = builder.tryAdd(values);
      if (reason !== undefined) builder.reject(line, reason, text);
    }
  };

  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      first = false;
      take(splitter.push(text));
      await builder.drain();
      progress(line, stream.bytesRead);
    }
  } finally {
    stream.destroy();
  }
  take(splitter.end());
  progress(line, stream.bytesRead);
}
