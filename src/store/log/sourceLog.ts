import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sliceBatch, type Batch } from '../../pipelines/data/batch.js';
import { Dictionary } from '../../pipelines/data/dictionary.js';
import { conformBatch } from './conform.js';
import { applyDictionaries, encodeRecord, journalPath, JournalWriter, readRecord, recordBatch } from './journal.js';
import { writeManifest, type ImportFingerprint, type Manifest, type SegmentInfo } from './manifest.js';
import { PendingRows, timeBounds } from './pendingRows.js';
import { readSegmentFile, segmentFileName, writeSegmentFile } from './segment.js';
import { selectRows, type RowSelection } from './selectRows.js';
import { storedColumns, type SourceSpec, type StoredColumn } from './sourceSpec.js';

export const DEFAULT_SEGMENT_ROWS = 262_144;
export const DEFAULT_READ_BATCH_ROWS = 65_536;

/** Which rows `SourceLog.read` yields. */
export interface ReadOptions {
  /** Keep rows with `from <= time < to` (epoch ms). Unbounded by default. */
  from?: number;
  to?: number;
  /** Skip rows whose offset is below this. */
  fromOffset?: number;
  /** At most this many rows a batch (default 65536). */
  batchRows?: number;
}

/**
 * The append-only event log of one source: Arrow IPC segments plus a manifest, in `<logDir>/<source>/`.
 * Every row has an offset, its 0-based position in the log. Rows are kept in arrival order; reads
 * filter by event time, skipping whole segments whose time range misses the query.
 *
 * Obtain one from `EventLog.openSource`. Build batches to append with `log.dictionaries`, so that
 * codes are the log's own (a batch on another Dictionary is re-coded, at some cost).
 *
 * @example
 * const trips = await eventLog.openSource(spec);
 * const driver = trips.dictionaries.get('driver_id')!;
 * await trips.append(makeBatch(Float64Array.of(1000), { driver_id: dictColumn(Int32Array.of(driver.encode(7)), driver) }));
 * await trips.flush();
 * for await (const b of trips.read({ from: 0, to: 3_600_000 })) console.log(b.length, b.offsets);
 */
export class SourceLog {
  readonly spec: SourceSpec;
  /** The running dictionary of each dictionary column (strings and keys). Codes in it never change. */
  readonly dictionaries = new Map<string, Dictionary>();
  private readonly columns: readonly StoredColumn[];
  private manifest: Manifest;
  /** Rows appended but not yet in a segment, in arrival order. Reads see them too. */
  private readonly pending = new PendingRows();
  /** Segment and manifest writes run one at a time, in order. */
  private writing: Promise<unknown> = Promise.resolve();
  /** The write-ahead journal, once `openJournal` made this log durable per append. */
  private journal: JournalWriter | undefined;
  /** Dictionary values each journal record so far carries, per column (see journal.ts). */
  private journaled = new Map<string, number>();
  /** Dictionary sizes as stored in the newest segment: where a rewritten journal's values start. */
  private segmentDictionarySizes = new Map<string, number>();
  /** A background segment write that failed, reported by the next append or flush. */
  private backgroundError: unknown;
  private backgroundQueued = false;

  /** @internal Use `EventLog.openSource`. */
  constructor(
    readonly dir: string,
    manifest: Manifest,
    private segmentRows: number = DEFAULT_SEGMENT_ROWS,
  ) {
    this.manifest = manifest;
    this.spec = manifest.spec;
    this.columns = storedColumns(this.spec);
    for (const c of this.columns) if (c.dictionary) this.dictionaries.set(c.name, new Dictionary());
  }

  /** @internal Rebuild the running dictionaries from the newest segment, which holds them whole. */
  async loadDictionaries(): Promise<void> {
    const last = this.manifest.segments.at(-1);
    if (last !== undefined) await readSegmentFile(join(this.dir, last.file), this.spec.time, this.dictionaries);
    this.segmentDictionarySizes = this.dictionarySizes();
  }

  /**
   * @internal Take back the rows of a journal that a run left behind without flushing (it crashed):
   * they become unflushed rows again, so reads see them and the next flush writes them to segments.
   * Rows the journal holds that are already in segments are skipped. Reading stops at a record cut
   * short (it was never acknowledged); only the journal's owner (`openJournal`) rewrites the file.
   */
  async loadJournal(): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(journalPath(this.dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let pos = 0;
    for (;;) {
      const r = readRecord(bytes, pos);
      if (r.status !== 'ok') break;
      pos = r.next;
      applyDictionaries(r, this.dictionaries);
      const { offset, batch } = recordBatch(r, this.columns, this.dictionaries);
      const expected = this.rowCount;
      if (offset > expected) throw new Error(`${journalPath(this.dir)}: rows from offset ${expected} to ${offset} are missing`);
      const skip = expected - offset;
      if (skip >= batch.length) continue;
      const rows = skip === 0 ? batch : sliceBatch(batch, skip, batch.length);
      this.pending.push({ batch: rows, ...timeBounds(rows.time) });
    }
  }

  /**
   * Make every later append durable before it returns: each is also written to a journal
   * (`journal.wal`, see journal.ts), synchronously. A process that dies after an append returned
   * loses nothing: the next open of the log reads the journal back. With `sync`, each append is also
   * flushed to the disk (fdatasync), so a power cut loses nothing either, at the cost of a disk
   * flush per append. Only one process may write a log at a time.
   *
   * @example
   * const trades = await eventLog.openSource(spec);
   * await trades.openJournal();
   * const first = trades.appendDurable(batch); // in the journal now: safe from a crash
   * process(batch, first);                     // offsets first, first + 1, ...
   * await trades.close();                      // rows to segments, journal removed
   */
  async openJournal(opts: { sync?: boolean } = {}): Promise<void> {
    if (this.journal !== undefined) return;
    await this.serial(async () => {
      await mkdir(this.dir, { recursive: true });
      this.journal = new JournalWriter(journalPath(this.dir), opts.sync ?? false);
      // Start clean: only the unflushed rows, and no torn record left at the end by a crash.
      this.rewriteJournal();
    });
  }

  /**
   * Append rows durably (see `openJournal`, which must have been called) and return the log offset of
   * the first. Synchronous: the rows are in the journal when this returns. Segments are written in the
   * background as before; a failure there is thrown by the next append or flush.
   */
  appendDurable(batch: Batch): number {
    const journal = this.journal;
    if (journal === undefined) throw new Error(`source ${this.spec.name}: appendDurable needs openJournal() first`);
    this.throwBackgroundError();
    const offset = this.rowCount;
    if (batch.length === 0) return offset;
    const conformed = conformBatch(this.spec.name, batch, this.columns, this.dictionaries);
    journal.append(encodeRecord(conformed.batch, offset, this.columns, this.dictionaries, this.journaled));
    this.pending.push(conformed);
    if (this.pending.rows >= this.segmentRows && !this.backgroundQueued) {
      this.backgroundQueued = true;
      this.serial(() => {
        this.backgroundQueued = false;
        return this.writeSegments(false);
      }).catch((err: unknown) => {
        this.backgroundError ??= err;
      });
    }
    return offset;
  }

  /** Flush every row to segments and close the journal, if one is open (deleting it: it is empty). */
  async close(): Promise<void> {
    await this.flush();
    const journal = this.journal;
    this.journal = undefined;
    journal?.close(this.pending.rows === 0);
  }

  /** @internal */
  setSegmentRows(rows: number): void {
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`segmentRows must be a positive integer, got ${rows}`);
    this.segmentRows = rows;
  }

  /** @internal Keep the new time format and lateness; the rest of the spec was checked to be equal. */
  async updateSpec(spec: SourceSpec): Promise<void> {
    if (spec.timeFormat === this.spec.timeFormat && spec.lateness === this.spec.lateness) return;
    this.spec.timeFormat = spec.timeFormat;
    this.spec.lateness = spec.lateness;
    await this.serial(() => writeManifest(this.dir, this.manifest));
  }

  /** Rows in the log, including rows appended but not yet written to a segment. */
  get rowCount(): number {
    return this.manifest.rows + this.pending.rows;
  }

  /** The segments on disk, oldest first. */
  get segments(): readonly SegmentInfo[] {
    return this.manifest.segments;
  }

  /** Smallest and largest event time in the log, or undefined when it is empty. */
  get timeRange(): { min: number; max: number } | undefined {
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.manifest.segments) {
      if (s.minTime < min) min = s.minTime;
      if (s.maxTime > max) max = s.maxTime;
    }
    for (const p of this.pending.snapshot()) {
      if (p.minTime < min) min = p.minTime;
      if (p.maxTime > max) max = p.maxTime;
    }
    return min <= max ? { min, max } : undefined;
  }

  /**
   * Append rows, in arrival order. The batch must hold exactly the source's columns. Rows are buffered;
   * a segment is written each time `segmentRows` rows are waiting. Do not mutate the batch afterwards.
   */
  async append(batch: Batch): Promise<void> {
    if (this.journal !== undefined) {
      this.appendDurable(batch);
      return;
    }
    if (batch.length === 0) return;
    const conformed = conformBatch(this.spec.name, batch, this.columns, this.dictionaries);
    this.pending.push(conformed);
    if (this.pending.rows >= this.segmentRows) await this.serial(() => this.writeSegments(false));
  }

  /** Write every buffered row to segments (no-op when none are buffered). */
  async flush(): Promise<void> {
    this.throwBackgroundError();
    await this.serial(() => this.writeSegments(true));
  }

  /**
   * The log's rows in arrival order, each batch with `offsets` set: a snapshot taken when iteration
   * starts. Segments whose time range misses `[from, to)`, or that end before `fromOffset`, are not
   * opened at all.
   */
  async *read(opts: ReadOptions = {}): AsyncIterable<Batch> {
    const sel: RowSelection = {
      from: opts.from ?? -Infinity,
      to: opts.to ?? Infinity,
      fromOffset: opts.fromOffset ?? 0,
      batchRows: opts.batchRows ?? DEFAULT_READ_BATCH_ROWS,
    };
    if (!(sel.batchRows >= 1)) throw new Error(`batchRows must be at least 1, got ${sel.batchRows}`);
    const segments = this.manifest.segments.slice();
    const pending = this.pending.snapshot();
    let pendingOffset = this.manifest.rows;
    // The time index: a run of rows whose [min, max] misses [from, to) is not read at all.
    const wanted = (first: number, rows: number, min: number, max: number): boolean =>
      first + rows > sel.fromOffset && max >= sel.from && min < sel.to;

    for (const seg of segments) {
      if (!wanted(seg.firstOffset, seg.rows, seg.minTime, seg.maxTime)) continue;
      let offset = seg.firstOffset;
      for (const b of await readSegmentFile(join(this.dir, seg.file), this.spec.time, this.dictionaries)) {
        yield* selectRows(b, offset, sel);
        offset += b.length;
      }
    }
    for (const p of pending) {
      if (wanted(pendingOffset, p.batch.length, p.minTime, p.maxTime)) yield* selectRows(p.batch, pendingOffset, sel);
      pendingOffset += p.batch.length;
    }
  }

  /** The fingerprint recorded when `path` was imported, if it was. */
  importedFingerprint(path: string): ImportFingerprint | undefined {
    const abs = resolve(path);
    return this.manifest.imports.find((f) => f.path === abs);
  }

  /** Record that a file was imported (replacing an earlier record of the same path). */
  async recordImport(f: ImportFingerprint): Promise<void> {
    const entry = { ...f, path: resolve(f.path) };
    await this.serial(async () => {
      const next = { ...this.manifest, imports: [...this.manifest.imports.filter((x) => x.path !== entry.path), entry] };
      await writeManifest(this.dir, next);
      this.manifest = next;
    });
  }

  /**
   * Drop every row at offset `rows` and beyond: how a failed import is undone. `rows` must fall on a
   * segment boundary or among the unflushed rows (importFile flushes before it starts, so its rows
   * begin a segment). Dictionary values stay: codes are never reused.
   */
  async truncate(rows: number): Promise<void> {
    await this.serial(async () => {
      if (rows >= this.rowCount) return;
      if (rows >= this.manifest.rows) {
        this.pending.keepHead(rows - this.manifest.rows);
        this.rewriteJournal();
        return;
      }
      const keep = this.manifest.segments.filter((s) => s.firstOffset + s.rows <= rows);
      const kept = keep.reduce((n, s) => n + s.rows, 0);
      if (kept !== rows) throw new Error(`source ${this.spec.name}: cannot truncate to ${rows} rows, inside a segment`);
      const dropped = this.manifest.segments.slice(keep.length);
      const next: Manifest = { ...this.manifest, rows, segments: keep };
      await writeManifest(this.dir, next);
      this.manifest = next;
      this.pending.keepHead(0);
      // The newest segment's dictionary sizes are no longer known here: a journal restarts from code 0.
      this.segmentDictionarySizes = new Map();
      this.rewriteJournal();
      // Files go only once the manifest no longer names them; a crash in between leaves unreferenced files.
      await Promise.all(dropped.map((s) => rm(join(this.dir, s.file), { force: true })));
    });
  }

  private throwBackgroundError(): void {
    if (this.backgroundError === undefined) return;
    const err = this.backgroundError;
    this.backgroundError = undefined;
    throw err;
  }

  private dictionarySizes(): Map<string, number> {
    return new Map([...this.dictionaries].map(([name, d]) => [name, d.size]));
  }

  /**
   * Replace the journal with one record of the unflushed rows (or nothing), its dictionary values
   * starting where the newest segment's end. Synchronous, so no append slips in between.
   */
  private rewriteJournal(): void {
    const journal = this.journal;
    if (journal === undefined) return;
    this.journaled = new Map(this.segmentDictionarySizes);
    const records = this.pending.rows === 0 ? [] : [encodeRecord(this.pending.head(this.pending.rows), this.manifest.rows, this.columns, this.dictionaries, this.journaled)];
    journal.replace(records);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Write full segments (and, when `all`, a last partial one). Rows leave `pending` only once on disk. */
  private async writeSegments(all: boolean): Promise<void> {
    let wrote = false;
    while (this.pending.rows >= this.segmentRows || (all && this.pending.rows > 0)) {
      const rows = Math.min(this.pending.rows, this.segmentRows);
      const batch = this.pending.head(rows);
      await mkdir(this.dir, { recursive: true });
      const file = segmentFileName(this.manifest.segments.length);
      // The segment holds the dictionaries as they are now: writeSegmentFile encodes them before its first await.
      const sizes = this.dictionarySizes();
      await writeSegmentFile(join(this.dir, file), batch, this.spec.time, { yieldBetween: this.journal !== undefined });
      this.segmentDictionarySizes = sizes;
      wrote = true;
      const info: SegmentInfo = { file, rows, firstOffset: this.manifest.rows, ...timeBounds(batch.time) };
      const next: Manifest = { ...this.manifest, rows: this.manifest.rows + rows, segments: [...this.manifest.segments, info] };
      await writeManifest(this.dir, next);
      this.manifest = next;
      this.pending.dropHead(rows);
    }
    // Rows now in segments leave the journal (a crash before this point only means they are skipped on recovery).
    if (wrote) this.rewriteJournal();
  }
}
