import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sliceBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { applyDictionaries, journalPath, readRecord, recordBatch } from './journal.js';
import { MANIFEST_FILE, readManifest, type Manifest } from './manifest.js';
import { readSegmentFile } from './segment.js';
import { DEFAULT_READ_BATCH_ROWS } from './sourceLog.js';
import { selectRows } from './selectRows.js';
import { storedColumns, type SourceSpec, type StoredColumn } from './sourceSpec.js';

/**
 * Follows a source log that another process appends to: each `poll()` returns the rows added since
 * the last one, in log order, with their offsets. It reads what that process put on disk: the
 * segments the manifest lists, then the journal of rows not yet in a segment (see journal.ts), so
 * a writer that journals its appends (a live run) is followed within a poll.
 *
 * Everything is read by offset, so the writer may turn journal rows into segments and rewrite its
 * journal at any moment: rows already returned are skipped, rows not yet visible are waited for.
 * Dictionary values are added to `dictionaries`, which must be the log's own running dictionaries
 * (from `EventLog.open`), so that codes are the log's.
 *
 * @example
 * const log = await EventLog.open('data/log');
 * const trades = log.source('trades')!;
 * const tail = new LogTail(trades.dir, trades.spec, trades.dictionaries, 0);
 * for (;;) {
 *   const batches = await tail.poll(10_000);
 *   if (batches.length === 0) await sleep(10);
 *   for (const b of batches) process(b); // b.offsets[0] === the next offset
 * }
 */
export class LogTail {
  private nextOffset: number;
  private readonly columns: readonly StoredColumn[];
  private manifest: Manifest | undefined;
  private manifestStamp = '';
  /** The segment read last, kept while it is being returned in parts. */
  private segment: { file: string; first: number; batches: Batch[] } | undefined;
  /** Which journal file (inode) is being read, and the byte where its first unreturned record starts. */
  private journalIno = -1;
  private journalPos = 0;

  constructor(
    readonly dir: string,
    private readonly spec: SourceSpec,
    private readonly dictionaries: Map<string, Dictionary>,
    fromOffset = 0,
    private readonly batchRows = DEFAULT_READ_BATCH_ROWS,
  ) {
    this.nextOffset = fromOffset;
    this.columns = storedColumns(spec);
  }

  /** Offset of the next row `poll` will return. */
  get offset(): number {
    return this.nextOffset;
  }

  /**
   * The rows appended since the last call, at most about `maxRows` of them (a batch may run past it
   * by less than `batchRows`), each batch at most `batchRows` long. Empty when nothing is new.
   */
  async poll(maxRows = Infinity): Promise<Batch[]> {
    await this.refreshManifest();
    const m = this.manifest;
    if (m === undefined) return [];
    if (this.nextOffset < m.rows) return this.fromSegments(m, maxRows);
    return this.fromJournal(maxRows);
  }

  private async refreshManifest(): Promise<void> {
    let s;
    try {
      s = await stat(join(this.dir, MANIFEST_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // The manifest is replaced by rename, so a new one has a new inode.
    const stamp = `${s.ino}:${s.mtimeMs}:${s.size}`;
    if (stamp === this.manifestStamp) return;
    this.manifest = await readManifest(this.dir);
    this.manifestStamp = stamp;
  }

  private async fromSegments(m: Manifest, maxRows: number): Promise<Batch[]> {
    const seg = m.segments.find((s) => s.firstOffset <= this.nextOffset && this.nextOffset < s.firstOffset + s.rows);
    if (seg === undefined) throw new Error(`${this.dir}: no segment holds offset ${this.nextOffset}`);
    if (this.segment?.file !== seg.file) {
      const batches = await readSegmentFile(join(this.dir, seg.file), this.spec.time, this.dictionaries);
      this.segment = { file: seg.file, first: seg.firstOffset, batches };
    }
    const out: Batch[] = [];
    let taken = 0;
    let base = this.segment.first;
    for (const b of this.segment.batches) {
      if (taken >= maxRows) break;
      const from = Math.max(0, this.nextOffset - base);
      const end = Math.min(b.length, from + Math.max(0, maxRows - taken));
      if (from < end) {
        const sel = { from: -Infinity, to: Infinity, fromOffset: base + from, batchRows: this.batchRows };
        for (const part of selectRows(sliceBatch(b, 0, end), base, sel)) out.push(part);
        taken += end - from;
        this.nextOffset = base + end;
      }
      base += b.length;
    }
    if (this.nextOffset >= seg.firstOffset + seg.rows) this.segment = undefined;
    return out;
  }

  private async fromJournal(maxRows: number): Promise<Batch[]> {
    let handle;
    try {
      handle = await open(journalPath(this.dir), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let bytes: Uint8Array;
    try {
      const s = await handle.stat();
      if (s.ino !== this.journalIno) {
        // Rewritten since (rows went to a segment): read the new one from its start, skipping by offset.
        this.journalIno = s.ino;
        this.journalPos = 0;
      }
      if (s.size <= this.journalPos) return [];
      bytes = new Uint8Array(s.size - this.journalPos);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, this.journalPos);
      bytes = bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const out: Batch[] = [];
    let taken = 0;
    let pos = 0;
    while (taken < maxRows) {
      // An incomplete or unreadable last record may still be being written: try again next poll.
      const r = readRecord(bytes, pos);
      if (r.status !== 'ok') break;
      // Rows missing before this record are in a segment the manifest read above did not list yet.
      if (r.header.offset > this.nextOffset) break;
      applyDictionaries(r, this.dictionaries);
      const end = r.header.offset + r.header.rows;
      if (end > this.nextOffset) {
        const { offset, batch } = recordBatch(r, this.columns, this.dictionaries);
        const stop = Math.min(end, this.nextOffset + (maxRows - taken));
        const sel = { from: -Infinity, to: Infinity, fromOffset: this.nextOffset, batchRows: this.batchRows };
        for (const part of selectRows(sliceBatch(batch, 0, stop - offset), offset, sel)) out.push(part);
        taken += stop - this.nextOffset;
        this.nextOffset = stop;
        // A record returned in part is read again next time, from its start.
        if (stop < end) break;
      }
      pos = r.next;
    }
    this.journalPos += pos;
    return out;
  }
}
