import { open, type FileHandle } from 'node:fs/promises';

/**
 * Output plumbing shared by the sample generators: buffered line files, and a per-file reorder heap
 * so that generators can produce events in whatever order is natural to simulate (per card, per
 * session, reports days ahead) and still write each file in arrival order.
 */

/** Write to disk once this many characters are buffered: big enough to be fast, small enough for any scale. */
const FLUSH_CHARS = 1 << 20;

/** A text file written line by line through a bounded buffer. */
export class LineFile {
  rows = 0;
  private parts: string[] = [];
  private chars = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<LineFile> {
    return new LineFile(path, await open(path, 'w'));
  }

  /** Append one line (without its newline). Headers go through here too but are not counted as rows. */
  line(text: string, isRow = true): void {
    this.parts.push(text);
    this.chars += text.length + 1;
    if (isRow) this.rows++;
  }

  get full(): boolean {
    return this.chars >= FLUSH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    this.chars = 0;
    await this.handle.write(text, null, 'utf8');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }
}

interface Pending {
  key: number;
  seq: number;
  text: string;
}

/**
 * A file whose lines are ordered by a numeric key (event time, or arrival time for late events)
 * before being written. Lines wait in a binary min-heap on (key, insertion order) until the
 * generator promises, through {@link release}, that nothing earlier will come; ties keep insertion
 * order, so the output does not depend on heap internals.
 */
export class OrderedFile {
  private readonly heap: Pending[] = [];
  private seq = 0;

  constructor(readonly file: LineFile) {}

  push(key: number, text: string): void {
    const item = { key, seq: this.seq++, text };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(item, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  /** Write every waiting line with key < upTo, in order. */
  release(upTo: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.key < upTo) this.file.line(this.pop().text);
  }

  get waiting(): number {
    return this.heap.length;
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(x: Pending, y: Pending): boolean {
  return x.key < y.key || (x.key === y.key && x.seq < y.seq);
}

/** The files of one domain: release in step, flush when buffers fill, report progress, close together. */
export class SampleOutput {
  private lastReported = -1;

  constructor(
    readonly files: OrderedFile[],
    private readonly onProgress?: (rows: number) => void,
  ) {}

  static async open(paths: { path: string; header?: string }[], onProgress?: (rows: number) => void): Promise<SampleOutput> {
    const files: OrderedFile[] = [];
    try {
      for (const { path, header } of paths) {
        const file = await LineFile.create(path);
        if (header !== undefined) file.line(header, false);
        files.push(new OrderedFile(file));
      }
    } catch (err) {
      await Promise.allSettled(files.map((f) => f.file.close()));
      throw err;
    }
    return new SampleOutput(files, onProgress);
  }

  get rows(): number {
    let n = 0;
    for (const f of this.files) n += f.file.rows;
    return n;
  }

  /** Move every line with key < upTo to its file's buffer; write buffers that are full. */
  async release(upTo: number): Promise<void> {
    let flushed = false;
    for (const f of this.files) {
      f.release(upTo);
      if (f.file.full) {
        await f.file.flush();
        flushed = true;
      }
    }
    if (flushed) this.report();
  }

  /** Write everything still waiting and close the files; returns each file's data-row count. */
  async finish(): Promise<{ path: string; rows: number }[]> {
    await this.release(Infinity);
    await this.close();
    this.report();
    return this.files.map((f) => ({ path: f.file.path, rows: f.file.rows }));
  }

  /** Close without writing what waits (after an error). */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.files.map((f) => f.file.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private report(): void {
    const rows = this.rows;
    if (this.onProgress && rows !== this.lastReported) {
      this.lastReported = rows;
      this.onProgress(rows);
    }
  }
}

/** Epoch ms to ISO-8601 UTC with milliseconds, e.g. 2024-01-01T00:00:00.000Z. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
