import { Subject } from 'rxjs';
import type { CompiledFeatureSet, FeatureNode } from '../../pipelines/compile/compileFeatureSet.js';
import { gatherRows, sliceBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { allocValidity, type Validity } from '../../pipelines/data/validity.js';
import { parseExpression } from '../../pipelines/expressions/index.js';
import { deriveColumns } from '../../pipelines/operators/deriveColumns.js';
import type { LaneSpec } from '../lanes/planLanes.js';
import { segmentBytes, slotView, type RowProgress, type RowSlot } from './rowOutputs.js';

/** One source batch: its rows as read, the feature values the workers write, and how far it got. */
interface Segment {
  base: number;
  length: number;
  /** The batch as read, with the source's computed columns. */
  input: Batch;
  buffer: SharedArrayBuffer;
  slots: Float64Array[];
  /** Rows written, per point-in-time lane of the source. */
  written: Int32Array;
  /** Rows not rejected as late: what each lane writes, and what the table emits. */
  accepted: number;
  emitted: number;
  /** Null feature values: slot -> rows (within the segment). */
  nulls?: Map<number, number[]>;
  /** The table's rows of this segment, in row order (built once, when every lane has written). */
  table?: Batch;
}

/** Rows of the table in local order, as released: rows `from..to-1` (all accepted), or the rows listed. */
interface Released {
  rows?: Float64Array;
  minRow: number;
  maxRow: number;
}

/**
 * The main thread's side of a source's events table under threads (see rowOutputs.ts). It orders
 * the rows as the source's `reorder` does (RowOrder), so it knows the local order of the table;
 * workers write feature values into the segments; a released run of rows is emitted as soon as
 * every lane has written its segments: for an in-order source that is views of the source batch
 * and of the shared feature columns, with no copy at all. Rows released out of row order (an
 * out-of-order source) are gathered.
 */
export class EventsTable {
  private readonly segments: Segment[] = [];
  private readonly released: Released[] = [];
  private releasedHead = 0;
  private readonly laneIndex = new Map<number, number>();
  private readonly slotTypes: (Exclude<Column['type'], 'dictionary'> | undefined)[];
  private readonly nodes: readonly FeatureNode[];
  private readonly slotOf = new Map<string, number>();
  private readonly order: RowOrder;
  private readonly derive = new Subject<Batch>();
  private derived: Batch | undefined;
  private readonly hasDerive: boolean;
  private failure: unknown;
  /** Rows read so far. */
  private rows = 0;

  constructor(
    private readonly compiled: CompiledFeatureSet,
    lanes: readonly LaneSpec[],
    private readonly source: string,
    slots: readonly RowSlot[],
    private readonly emit: (b: Batch) => void,
    private readonly chunk: number,
  ) {
    for (const l of lanes) if (l.source === source && l.pointInTime) this.laneIndex.set(l.id, this.laneIndex.size);
    slots.forEach((s, i) => this.slotOf.set(s.column, i));
    this.slotTypes = slots.map(() => undefined);
    this.nodes = compiled.nodes.filter((n) => n.source === source && n.kind === 'pointInTime');
    const src = compiled.config.sources[source]!;
    this.order = new RowOrder(src.lateness, (r) => this.released.push(r));
    // The source's computed columns, on the batches as read, as the local pipeline computes them.
    const derive = Object.entries(src.derive);
    if (derive.length > 0) {
      this.derive.pipe(deriveColumns(Object.fromEntries(derive.map(([name, text]) => [name, parseExpression(text)])))).subscribe({
        next: (b) => (this.derived = b),
        error: (err: unknown) => (this.failure ??= err),
      });
    }
    this.hasDerive = derive.length > 0;
  }

  /**
   * The next batch of the source, whose first row is row `base`; `announce` lists its late rows
   * (SourceSplitter's (row, watermark) pairs: exactly the rows reorder rejects). Returns the output
   * segment the workers write into.
   */
  add(b: Batch, base: number, announce: Float64Array): SharedArrayBuffer | undefined {
    if (base !== this.rows) throw new Error(`events table ${this.source}: batch at row ${base}, expected row ${this.rows}`);
    const n = b.length;
    this.rows += n;
    let buffer: SharedArrayBuffer | undefined;
    if (n > 0) {
      let input = b;
      if (this.hasDerive) {
        this.derived = undefined;
        this.derive.next(b);
        input = this.derived ?? b;
      }
      buffer = new SharedArrayBuffer(segmentBytes(this.slotTypes.length, n));
      this.segments.push({
        base,
        length: n,
        input,
        buffer,
        slots: this.slotTypes.map((_, i) => slotView(buffer!, i, n)),
        written: new Int32Array(this.laneIndex.size),
        accepted: n - announce.length / 2,
        emitted: 0,
      });
    }
    this.order.push(b.time, n, base, announce, b.watermark);
    this.check();
    return buffer;
  }

  /** Rows below this one are emitted: the workers may forget their segments. */
  get doneBelow(): number {
    return this.segments[0]?.base ?? this.rows;
  }

  /** A worker's progress for this source's lanes. */
  progress(p: RowProgress, laneSource: (lane: number) => string | undefined): void {
    const w = p.written;
    for (let i = 0; i < w.length; i += 3) {
      const lane = w[i]!;
      if (laneSource(lane) !== this.source) continue;
      const seg = this.segmentAt(w[i + 1]!);
      if (seg === undefined || seg.base !== w[i + 1]) throw new Error(`events table ${this.source}: rows written into an unknown segment at row ${w[i + 1]}`);
      const k = this.laneIndex.get(lane)!;
      seg.written[k]! += w[i + 2]!;
      if (seg.written[k]! > seg.accepted) throw new Error(`events table ${this.source}: lane ${lane} wrote ${seg.written[k]} rows of a batch of ${seg.accepted}`);
    }
    const nulls = p.nulls;
    for (let i = 0; i < nulls.length; i += 3) {
      if (laneSource(nulls[i]!) !== this.source) continue;
      const row = nulls[i + 2]!;
      const seg = this.segmentAt(row)!;
      seg.nulls ??= new Map();
      let list = seg.nulls.get(nulls[i + 1]!);
      if (list === undefined) seg.nulls.set(nulls[i + 1]!, (list = []));
      list.push(row - seg.base);
    }
    for (const t of p.types) if (laneSource(t.lane) === this.source) this.slotTypes[t.slot] = t.type;
  }

  /** Emit every released run whose rows all have their features. */
  pump(): void {
    this.check();
    while (this.releasedHead < this.released.length) {
      const r = this.released[this.releasedHead]!;
      if (!this.ready(r)) break;
      this.released[this.releasedHead++] = undefined as never;
      if (r.rows === undefined) this.emitRange(r.minRow, r.maxRow + 1);
      else this.emitRows(r.rows);
    }
    if (this.releasedHead > 1024 || this.releasedHead === this.released.length) {
      this.released.splice(0, this.releasedHead);
      this.releasedHead = 0;
    }
    let k = 0;
    while (k < this.segments.length && this.segments[k]!.emitted === this.segments[k]!.accepted) k++;
    if (k > 0) this.segments.splice(0, k);
  }

  /** The input ended and the workers are done: release what reorder holds and emit everything. */
  finish(): void {
    this.order.finish();
    this.pump();
    if (this.releasedHead < this.released.length || this.segments.length > 0) {
      const seg = this.segments.find((s) => s.emitted < s.accepted);
      throw new Error(`events table ${this.source}: rows from row ${seg?.base ?? '?'} never got all their features from the workers`);
    }
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Index of the live segment holding `row`, or -1. */
  private indexOf(row: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid]!;
      if (s.base + s.length <= row) lo = mid + 1;
      else hi = mid;
    }
    return lo < segs.length && segs[lo]!.base <= row ? lo : -1;
  }

  private segmentAt(row: number): Segment | undefined {
    return this.segments[this.indexOf(row)];
  }

  /** Whether every lane has written every segment these rows fall in. */
  private ready(r: Released): boolean {
    let k = this.indexOf(r.minRow);
    if (k < 0) throw new Error(`events table ${this.source}: released row ${r.minRow} has no segment`);
    for (; k < this.segments.length && this.segments[k]!.base <= r.maxRow; k++) {
      const s = this.segments[k]!;
      for (let j = 0; j < s.written.length; j++) if (s.written[j] !== s.accepted) return false;
    }
    return true;
  }

  /** Rows `from..to-1`, all accepted and in table order: views of their segments. */
  private emitRange(from: number, to: number): void {
    let k = this.indexOf(from);
    for (let at = from; at < to; k++) {
      const s = this.segments[k]!;
      const end = Math.min(to, s.base + s.length);
      this.out(sliceBatch(this.table(s), at - s.base, end - s.base));
      s.emitted += end - at;
      at = end;
    }
  }

  /**
   * Rows in table order: runs of consecutive rows of one segment are views of it (the usual case:
   * an in-order source releases one or two runs per batch); many short runs are gathered instead.
   */
  private emitRows(rows: Float64Array): void {
    const m = rows.length;
    const runs: number[] = [];
    let at = 0;
    while (at < m) {
      const k = this.indexOf(rows[at]!);
      const s = this.segments[k]!;
      const end = s.base + s.length;
      let stop = at + 1;
      while (stop < m && rows[stop] === rows[stop - 1]! + 1 && rows[stop]! < end) stop++;
      runs.push(k, at, stop);
      at = stop;
      if (runs.length > 3 && runs.length * 64 > 3 * m) break;
    }
    if (at === m) {
      for (let i = 0; i < runs.length; i += 3) {
        const s = this.segments[runs[i]!]!;
        const from = rows[runs[i + 1]!]! - s.base;
        const n = runs[i + 2]! - runs[i + 1]!;
        this.out(sliceBatch(this.table(s), from, from + n));
        s.emitted += n;
      }
      return;
    }
    // Out of order: gather from the segments.
    const parts: Segment[] = [];
    const partOf = new Map<Segment, number>();
    const part = new Int32Array(m);
    const index = new Int32Array(m);
    let k = -1;
    for (let i = 0; i < m; i++) {
      const r = rows[i]!;
      let s = this.segments[k];
      if (s === undefined || r < s.base || r >= s.base + s.length) {
        k = this.indexOf(r);
        s = this.segments[k]!;
      }
      let p = partOf.get(s);
      if (p === undefined) {
        p = parts.length;
        parts.push(s);
        partOf.set(s, p);
      }
      part[i] = p;
      index[i] = r - s.base;
      s.emitted++;
    }
    this.out(gatherRows(parts.map((s) => this.table(s)), part, index));
  }

  private out(b: Batch): void {
    if (b.length <= this.chunk) this.emit(b);
    else for (let at = 0; at < b.length; at += this.chunk) this.emit(sliceBatch(b, at, Math.min(b.length, at + this.chunk)));
  }

  /**
   * The table's rows of a segment, in row order: the source columns as read, then the features
   * (node by node, aliases after their node's columns, as the local pipeline stacks them), then the
   * source's derived features, computed here on the joined rows.
   */
  private table(s: Segment): Batch {
    if (s.table !== undefined) return s.table;
    const columns: Record<string, Column> = { ...s.input.columns };
    for (const n of this.nodes) {
      const own = n.columns.get(n.names[0]!)!;
      const cols = own.map((c) => this.featureColumn(s, this.slotOf.get(c)!));
      for (const names of n.columns.values()) names.forEach((c, i) => (columns[c] = cols[i]!));
    }
    let out: Batch = { length: s.length, time: s.input.time.subarray(0, s.length), columns, ...(s.input.offsets && { offsets: s.input.offsets }) };
    for (const d of this.compiled.derived) {
      if (d.source !== this.source) continue;
      out = { ...out, columns: { ...out.columns, [d.name]: d.expression.evaluate(out) } };
    }
    s.table = out;
    return out;
  }

  private featureColumn(s: Segment, slot: number): Column {
    const values = s.slots[slot]!;
    const rows = s.nulls?.get(slot);
    let validity: Validity | undefined;
    if (rows !== undefined) {
      validity = allocValidity(s.length);
      for (const r of rows) validity[r >> 3]! &= ~(1 << (r & 7));
    }
    const nulls = validity === undefined ? {} : { validity };
    const type = this.slotTypes[slot] ?? 'float64';
    if (type === 'int32') return { type, values: Int32Array.from(values), ...nulls };
    if (type === 'bool') return { type, values: Uint8Array.from(values), ...nulls };
    return { type, values, ...nulls };
  }
}

/**
 * The order `reorder` (src/pipelines/operators/reorder.ts) gives a source's rows, kept over row
 * numbers: at each batch, the held rows and the batch's accepted rows whose time is below the
 * watermark are released by (time, row), the others held; at the end all are released. Late rows
 * are the announced ones (SourceSplitter applies reorder's rule). The rows of an in-order source
 * are released as ranges, with no per-row work beyond one pass to see that they are in order.
 */
export class RowOrder {
  private maxTime = -Infinity;
  private announced = -Infinity;
  /** Held rows, in row (arrival) order; `sorted` when their times are in order too. */
  private heldTime = new Float64Array(256);
  private heldRow = new Float64Array(256);
  private held = 0;
  private sorted = true;

  constructor(
    private readonly lateness: number,
    private readonly release: (r: Released) => void,
  ) {}

  /** A batch of `n` rows starting at row `base`; `announce` holds its late rows as (index, watermark) pairs. */
  push(time: Float64Array, n: number, base: number, announce: Float64Array, watermark: number | undefined): void {
    // Whether the accepted rows continue the held ones in time order, and their greatest time: one pass.
    const late = announce.length;
    const prev = this.held > 0 ? this.heldTime[this.held - 1]! : -Infinity;
    const inOrder = late === 0 ? sortedFrom(time, n, prev) : acceptedSortedFrom(time, n, prev, announce);
    // Sorted rows end with their greatest time; otherwise look for it.
    let max = this.maxTime;
    if (inOrder) {
      for (let i = n - 1, a = late - 2; i >= 0; i--) {
        if (a >= 0 && announce[a] === i) {
          a -= 2;
          continue;
        }
        if (time[i]! > max) max = time[i]!;
        break;
      }
    } else max = Math.max(max, acceptedMax(time, n, announce));
    this.maxTime = max;
    if (watermark !== undefined && watermark > this.announced) this.announced = watermark;
    const w = Math.max(this.maxTime - this.lateness, this.announced);
    if (!(this.sorted && inOrder)) {
      this.append(time, 0, n, base, announce);
      this.releaseBelow(w);
      return;
    }
    // Held rows then the batch's are in (time, row) order: the prefix below the watermark goes.
    const kh = lowerBound(this.heldTime, this.held, w);
    if (kh > 0) this.release(listed(this.heldRow.slice(0, kh)));
    this.shift(kh);
    if (this.held === 0 && late === 0) {
      const c = lowerBound(time, n, w);
      if (c > 0) this.release({ minRow: base, maxRow: base + c - 1 });
      this.append(time, c, n, base, announce);
      return;
    }
    const before = this.held;
    this.append(time, 0, n, base, announce);
    if (before > 0) return; // held rows remain, at or above the watermark, and the batch's come after them
    const k = lowerBound(this.heldTime, this.held, w);
    if (k > 0) this.release(listed(this.heldRow.slice(0, k)));
    this.shift(k);
  }

  /** The input ended: everything held, in order. */
  finish(): void {
    this.releaseBelow(Infinity);
  }

  /** Release the held rows below `w`, sorted by (time, row); keep the others in row order. */
  private releaseBelow(w: number): void {
    const t = this.heldTime;
    const r = this.heldRow;
    const ready: number[] = [];
    for (let i = 0; i < this.held; i++) if (t[i]! < w) ready.push(i);
    if (ready.length > 0) {
      // Held rows are in row order, so a stable sort by time gives (time, row).
      ready.sort((x, y) => t[x]! - t[y]! || x - y);
      this.release(listed(Float64Array.from(ready, (i) => r[i]!)));
    }
    let kept = 0;
    let sorted = true;
    for (let i = 0; i < this.held; i++) {
      if (t[i]! < w) continue;
      if (kept > 0 && t[i]! < t[kept - 1]!) sorted = false;
      t[kept] = t[i]!;
      r[kept++] = r[i]!;
    }
    this.held = kept;
    this.sorted = sorted;
  }

  private shift(k: number): void {
    if (k === 0) return;
    this.heldTime.copyWithin(0, k, this.held);
    this.heldRow.copyWithin(0, k, this.held);
    this.held -= k;
  }

  /** Hold rows `from..n-1` of a batch (row numbers from `base`), but the announced (late) ones. */
  private append(time: Float64Array, from: number, n: number, base: number, announce: Float64Array): void {
    if (this.held + n - from > this.heldTime.length) {
      const cap = Math.max(this.held + n - from, this.heldTime.length * 2);
      const t = new Float64Array(cap);
      const r = new Float64Array(cap);
      t.set(this.heldTime.subarray(0, this.held));
      r.set(this.heldRow.subarray(0, this.held));
      this.heldTime = t;
      this.heldRow = r;
    }
    const t = this.heldTime;
    const r = this.heldRow;
    let h = this.held;
    let a = 0;
    while (a < announce.length && announce[a]! < from) a += 2;
    for (let i = from; i < n; i++) {
      if (a < announce.length && announce[a] === i) {
        a += 2;
        continue;
      }
      t[h] = time[i]!;
      r[h++] = base + i;
    }
    this.held = h;
  }
}

/** Whether `time[0..n)` is non-decreasing and starts at or after `prev`. */
function sortedFrom(time: Float64Array, n: number, prev: number): boolean {
  if (n > 0 && time[0]! < prev) return false;
  for (let i = 1; i < n; i++) if (time[i]! < time[i - 1]!) return false;
  return true;
}

/** sortedFrom over the rows not announced as late. */
function acceptedSortedFrom(time: Float64Array, n: number, prev: number, announce: Float64Array): boolean {
  let a = 0;
  for (let i = 0; i < n; i++) {
    if (a < announce.length && announce[a] === i) {
      a += 2;
      continue;
    }
    const t = time[i]!;
    if (t < prev) return false;
    prev = t;
  }
  return true;
}

/** The greatest time of the rows not announced as late (-Infinity for none). */
function acceptedMax(time: Float64Array, n: number, announce: Float64Array): number {
  let max = -Infinity;
  let a = 0;
  for (let i = 0; i < n; i++) {
    if (a < announce.length && announce[a] === i) {
      a += 2;
      continue;
    }
    if (time[i]! > max) max = time[i]!;
  }
  return max;
}

/** First index below `n` whose value is >= `w` (`values` ascending). */
function lowerBound(values: Float64Array, n: number, w: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < w) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function listed(rows: Float64Array): Released {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return { rows, minRow: min, maxRow: max };
}
