import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { ROW_COLUMN, type LaneSpec } from '../lanes/planLanes.js';

/**
 * Events tables by row number. Every batch of a source that has an events table gets an output
 * segment from the main thread: one SharedArrayBuffer holding a Float64Array per point-in-time
 * feature column of the source (a "slot"), one value per row of the batch. A worker writes each
 * output row of its lanes at that row's number in the source stream, so only feature values travel
 * back: the main thread has the source columns already, and it knows the local row order (it runs
 * `reorder` over (time, row number) itself), so it assembles the table without merging or joining.
 */

/** One feature column of a source's events table, written by one lane. */
export interface RowSlot {
  lane: number;
  column: string;
}

/** Per source with an events table: its slots, in order (slot i is the i-th Float64Array of a segment). */
export type RowOutputLayout = Record<string, RowSlot[]>;

/** What a worker tells the main thread with each ack (and with `done`). */
export interface RowProgress {
  /** (lane, segment base row, rows written) triples. */
  written: number[];
  /** (lane, slot, row number) triples: feature values that are null. */
  nulls: number[];
  /** Slots whose columns are not float64 (reported once). */
  types: { lane: number; slot: number; type: Exclude<Column['type'], 'dictionary'> }[];
}

/** The slots of every source's events table: each point-in-time node's own columns (aliases are views of them). */
export function rowOutputLayout(compiled: CompiledFeatureSet, lanes: readonly LaneSpec[]): RowOutputLayout {
  const layout: RowOutputLayout = {};
  for (const t of compiled.tables) {
    if (t.kind !== 'events') continue;
    const slots: RowSlot[] = [];
    for (const lane of lanes) {
      if (lane.source !== t.source || !lane.pointInTime) continue;
      const names = new Set(lane.features);
      for (const n of compiled.nodes) {
        if (n.source !== t.source || n.kind !== 'pointInTime' || !n.names.some((x) => names.has(x))) continue;
        for (const column of n.columns.get(n.names[0]!)!) slots.push({ lane: lane.id, column });
      }
    }
    layout[t.source] = slots;
  }
  return layout;
}

export function segmentBytes(slots: number, rows: number): number {
  return Math.max(8, slots * rows * 8);
}

export function slotView(buffer: SharedArrayBuffer, slot: number, rows: number): Float64Array {
  return new Float64Array(buffer, slot * rows * 8, rows);
}

interface Segment {
  base: number;
  end: number;
  slots: Float64Array[];
}

/**
 * A worker's side: the output segments it was given (per source, by base row), and the lane
 * outputs written into them. Rows come in (time, row) order from `reorder`: in-order sources give
 * ascending row numbers, so the segment lookup is a compare, and a binary search otherwise.
 */
export class RowWriter {
  private readonly segments = new Map<string, Segment[]>();
  private readonly slotsOfLane = new Map<number, { slot: number; column: string }[]>();
  private readonly slotCount = new Map<string, number>();
  // lane -> segment base -> rows written since the last report
  private written = new Map<number, Map<number, number>>();
  private nulls: number[] = [];
  private types: RowProgress['types'] = [];
  private readonly typed = new Set<string>();

  constructor(layout: RowOutputLayout) {
    for (const [source, slots] of Object.entries(layout)) {
      this.slotCount.set(source, slots.length);
      slots.forEach((s, slot) => {
        let list = this.slotsOfLane.get(s.lane);
        if (list === undefined) this.slotsOfLane.set(s.lane, (list = []));
        list.push({ slot, column: s.column });
      });
    }
  }

  /** The output segment of the batch of `source` whose rows start at `base`. */
  add(source: string, base: number, rows: number, buffer: SharedArrayBuffer): void {
    const count = this.slotCount.get(source) ?? 0;
    const slots = Array.from({ length: count }, (_, i) => slotView(buffer, i, rows));
    let list = this.segments.get(source);
    if (list === undefined) this.segments.set(source, (list = []));
    list.push({ base, end: base + rows, slots });
  }

  /** Forget the segments wholly below row `below` (the main thread has emitted them). */
  release(source: string, below: number): void {
    const list = this.segments.get(source);
    if (list === undefined) return;
    let k = 0;
    while (k < list.length && list[k]!.end <= below) k++;
    if (k > 0) list.splice(0, k);
  }

  /** A lane's events output: its feature values, written at their rows. */
  write(lane: LaneSpec, b: Batch): void {
    const slots = this.slotsOfLane.get(lane.id) ?? [];
    const segs = this.segments.get(lane.source) ?? [];
    const rowCol = b.columns[ROW_COLUMN];
    if (rowCol === undefined || rowCol.type === 'dictionary') throw new Error(`lane ${lane.id}: an events batch lost its row numbers`);
    const rowNo = rowCol.values as Float64Array;
    // Float64Array sources only, so the copy loops below stay monomorphic.
    const values: Float64Array[] = [];
    for (const { slot, column } of slots) {
      const c = b.columns[column];
      if (c === undefined) throw new Error(`lane ${lane.id}: feature column ${column} is missing from its output`);
      if (c.type === 'dictionary') throw new Error(`threads executor: feature column ${column} holds strings; point-in-time features must give numbers`);
      if (c.type !== 'float64' && !this.typed.has(`${lane.id}:${slot}`)) {
        this.typed.add(`${lane.id}:${slot}`);
        this.types.push({ lane: lane.id, slot, type: c.type });
      }
      values.push(c.values instanceof Float64Array ? c.values : Float64Array.from(c.values));
      const v = c.validity;
      if (v !== undefined) for (let i = 0; i < b.length; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) this.nulls.push(lane.id, slot, rowNo[i]!);
    }
    let written = this.written.get(lane.id);
    if (written === undefined) this.written.set(lane.id, (written = new Map()));
    const n = b.length;
    let at = 0;
    let s = 0;
    while (at < n) {
      // The segment of this row, then the run of following rows in it.
      const r = rowNo[at]!;
      let seg = segs[s];
      if (seg === undefined || r < seg.base || r >= seg.end) {
        s = findSegment(segs, r);
        seg = segs[s];
        if (seg === undefined) throw new Error(`lane ${lane.id}: row ${r} of ${lane.source} has no output segment`);
      }
      const { base, end } = seg;
      const stop = runEnd(rowNo, at, n, base, end);
      // Consecutive rows (one worker, an in-order source) are one copy.
      const contiguous = rowNo[stop - 1]! - r === stop - 1 - at && ascending(rowNo, at, stop);
      for (let k = 0; k < slots.length; k++) {
        const dst = seg.slots[slots[k]!.slot]!;
        if (contiguous) dst.set(values[k]!.subarray(at, stop), r - base);
        else scatter(dst, values[k]!, rowNo, at, stop, base);
      }
      written.set(base, (written.get(base) ?? 0) + (stop - at));
      at = stop;
    }
  }

  /** What was written since the last call (undefined when nothing was). */
  take(): RowProgress | undefined {
    if (this.written.size === 0 && this.nulls.length === 0 && this.types.length === 0) return undefined;
    const written: number[] = [];
    for (const [lane, bases] of this.written) for (const [base, rows] of bases) written.push(lane, base, rows);
    const out = { written, nulls: this.nulls, types: this.types };
    this.written = new Map();
    this.nulls = [];
    this.types = [];
    return out;
  }
}

/* The hot loops, as small functions of typed arrays only (each stays monomorphic and optimized). */

/** End of the run of rows from `at` that fall in [base, end). */
function runEnd(rowNo: Float64Array, at: number, n: number, base: number, end: number): number {
  let stop = at + 1;
  while (stop < n) {
    const r = rowNo[stop]!;
    if (r < base || r >= end) break;
    stop++;
  }
  return stop;
}

function ascending(rowNo: Float64Array, at: number, stop: number): boolean {
  for (let i = at + 1; i < stop; i++) if (rowNo[i]! <= rowNo[i - 1]!) return false;
  return true;
}

function scatter(dst: Float64Array, src: Float64Array, rowNo: Float64Array, at: number, stop: number, base: number): void {
  for (let i = at; i < stop; i++) dst[rowNo[i]! - base] = src[i]!;
}

function findSegment(segs: readonly Segment[], row: number): number {
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid]!.end <= row) lo = mid + 1;
    else hi = mid;
  }
  return lo < segs.length && segs[lo]!.base <= row ? lo : -1;
}
