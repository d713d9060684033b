import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One event that could not be used: a bad input row at import, or an event later than its
 * source's allowed lateness at replay. Tributary never drops an event silently: it lands here.
 */
export interface DeadLetterRecord {
  /** The source the event belongs to. */
  source: string;
  /** Why, as `<kind>: <detail>`, e.g. `bad timestamp: "abc"`. The kind (text before the first ':') is what counts group by. */
  reason: string;
  /** 1-based row (or line, for JSON lines) of the input file. */
  row?: number;
  /** Position in the source's event log, for events that were already in it. */
  offset?: number;
  /** Event time, epoch ms, when it could be read. */
  time?: number;
  /** The pipeline step that rejected the event. */
  step?: string;
  /** The input file. */
  file?: string;
  /** The raw input text (possibly cut short). */
  raw?: string;
}

/** Records held in memory before they are appended to disk. */
const FLUSH_EVERY = 1000;

/** The kind of a reason: its text up to the first ':' ("bad timestamp: 'abc'" → "bad timestamp"). */
export function reasonKind(reason: string): string {
  const colon = reason.indexOf(':');
  return (colon < 0 ? reason : reason.slice(0, colon)).trim();
}

/**
 * Writes dead letters to `<dir>/<source>.jsonl`, one JSON object a line, appending to what is there.
 * Writes are buffered; `close()` (or `flush()`) puts them on disk. The directory is created on the
 * first flush, so a clean run leaves nothing behind.
 *
 * @example
 * const sink = new DeadLetterSink('out/dead-letters');
 * sink.write({ source: 'trips', reason: 'bad timestamp: "abc"', file: 'trips.csv', row: 7 });
 * sink.counts(); // { trips: { 'bad timestamp': 1 } }
 * await sink.close();
 */
export class DeadLetterSink {
  private readonly pending = new Map<string, string[]>();
  private pendingCount = 0;
  /** Flush once this many records are buffered; pushed further after a failed flush, so as not to retry on every write. */
  private flushAt = FLUSH_EVERY;
  private readonly byReason = new Map<string, Map<string, number>>();
  private written = 0;
  private dirReady = false;
  /** A failed background flush, reported by `close()` so that `write` itself never throws. */
  private error: unknown;

  constructor(readonly dir: string) {}

  /** Buffer one record. Never throws for a valid record; disk errors surface at `flush`/`close`. */
  write(rec: DeadLetterRecord): void {
    const line = JSON.stringify(rec);
    let lines = this.pending.get(rec.source);
    if (lines === undefined) {
      lines = [];
      this.pending.set(rec.source, lines);
    }
    lines.push(line);
    this.pendingCount++;
    this.written++;
    let kinds = this.byReason.get(rec.source);
    if (kinds === undefined) {
      kinds = new Map();
      this.byReason.set(rec.source, kinds);
    }
    const kind = reasonKind(rec.reason);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (this.pendingCount >= this.flushAt) {
      try {
        this.flush();
        this.flushAt = FLUSH_EVERY;
      } catch (err) {
        this.error ??= err;
        this.flushAt = this.pendingCount + FLUSH_EVERY;
      }
    }
  }

  /** Source → reason kind → count, over everything written since construction. */
  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [source, kinds] of this.byReason) out[source] = Object.fromEntries(kinds);
    return out;
  }

  /** Number of records written since construction. */
  total(): number {
    return this.written;
  }

  /** Append the buffered records to their files now. */
  flush(): void {
    if (this.pendingCount === 0) return;
    if (!this.dirReady) {
      mkdirSync(this.dir, { recursive: true });
      this.dirReady = true;
    }
    for (const [source, lines] of this.pending) {
      if (lines.length === 0) continue;
      appendFileSync(join(this.dir, `${fileSafe(source)}.jsonl`), lines.join('\n') + '\n');
      this.pendingCount -= lines.length;
      lines.length = 0;
    }
  }

  /** Flush, and report any write error met on the way. */
  async close(): Promise<void> {
    this.flush();
    if (this.error !== undefined) {
      const err = this.error;
      this.error = undefined;
      throw err;
    }
  }
}

/** Source names become file names: keep them to characters that are safe everywhere. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
