import type { OpName } from '../../pipelines/aggregations/catalog.js';
import type { NumberColumn } from '../../pipelines/data/column.js';
import { asOfJoin } from './asOfSweep.js';
import { firstAfter } from './keyGroups.js';
import { sweepAhead } from './labelSweep.js';
import { labelWindows, type LabelWindows } from './labelWindow.js';
import type { LabelConfig } from '../../sdk/config/types.js';

/**
 * The pool side of parallel label assembly (`parallelAssemble.ts` is the main-thread side): one
 * task assembles the spine rows `[from, to)`, a time range, for every as-of join of the set and for
 * the label's sweep, with the **reference kernels themselves** (`asOfJoin`, `sweepAhead`) run on
 * that range of the spine and the whole (time-sorted) table or events.
 *
 * Why a time range gives the single-thread answer, bit for bit: both kernels walk the spine in time
 * order with per-key state that depends only on the table rows (or label events) passed so far. A
 * range starting at spine row `a` first passes every table row before `a`'s time: the **warm-up**,
 * the kernel's own inner loop, without spine rows in between. Its state at row `a` is then the very
 * state the one-thread sweep has there, and every later row follows identically. Sums (label sum and
 * mean) are accumulated from the first event, in the same order, so they round the same way.
 *
 * Warm-up is skipped where it cannot change a result: table rows older than `t_a - tolerance` (a
 * match that old is null anyway), and for count, first and last label ops the events at or before
 * the range's first window start (those ops are differences of counts, or read the window's own
 * events). Sum and mean always warm up from the first event, for exact rounding.
 *
 * Everything travels as SharedArrayBuffer-backed typed arrays: inputs shared read-only by every task,
 * outputs written by each task into its own rows (ranges start at multiples of 8, so each task also
 * owns whole bytes of the validity bitmaps).
 */

/** One as-of join (one table, one key, its columns), for `assembleRange`. */
export interface JoinTask {
  /** Key code of each spine row (all rows; the task reads its range). */
  spineCodes: Int32Array;
  /** The table, in time order (stable): key codes in the spine's key space, times, values as float64, validity bitmaps. */
  tableCodes: Int32Array;
  tableTime: Float64Array;
  values: Float64Array[];
  validity: (Uint8Array | undefined)[];
  size: number;
  tolerance: number;
  /** Outputs, one per column: values (n) and validity bitmaps ((n + 7) >> 3 bytes). */
  out: Float64Array[];
  outValidity: Uint8Array[];
}

/** The label's sweep (count, sum, mean, first, last), for `assembleRange`. */
export interface LabelTask {
  op: OpName;
  window: Pick<LabelConfig, 'kind' | 'horizon' | 'period' | 'periods' | 'offset'>;
  spineCodes: Int32Array;
  /** Label events in time order (stable), as `sweepEvents` gives them. */
  codes: Int32Array;
  time: Float64Array;
  values?: Float64Array;
  include?: Uint8Array;
  size: number;
  out: Float64Array;
  outValidity: Uint8Array;
  outCounts: Int32Array;
}

export interface AssembleRangeTask {
  /** Spine rows `[from, to)`; `from` is a multiple of 8. */
  from: number;
  to: number;
  spineTime: Float64Array;
  joins: JoinTask[];
  label?: LabelTask;
}

export interface AssembleRangeResult {
  /** Per join, per column: whether the range holds a null. */
  joinNulls: boolean[][];
  /** The label: `swept` false when the range's windows are out of order (the caller then takes the grouped path). */
  label?: { swept: boolean; nulls: boolean };
  ms: number;
}

/** Ops whose window value does not depend on the events before the window (see above). */
const NO_PREFIX_OPS: ReadonlySet<OpName> = new Set<OpName>(['count', 'first', 'last']);

/**
 * Assemble spine rows `[from, to)`: each join and the label sweep on that range, written into the
 * shared outputs. Exported for the pool (`pool.run(url, 'assembleRange', task)`); it runs as well
 * on the calling thread.
 */
export function assembleRange(task: AssembleRangeTask): AssembleRangeResult {
  const started = performance.now();
  const { from, to } = task;
  const time = task.spineTime.subarray(from, to);
  const joinNulls = task.joins.map((j) => {
    const start = warmStart(j.tableTime, time[0], j.tolerance);
    const cols = j.values.map((values, c): NumberColumn => {
      const v = values.subarray(start);
      const validity = j.validity[c];
      return validity === undefined ? { type: 'float64', values: v } : { type: 'float64', values: v, validity: validity.subarray(start >> 3) };
    });
    const into = j.out.map((o) => o.subarray(from, to));
    const joined = asOfJoin(j.spineCodes.subarray(from, to), time, j.tableCodes.subarray(start), j.tableTime.subarray(start), cols, j.size, j.tolerance, undefined, into);
    return joined.map((col, c) => putBits(j.outValidity[c]!, col.validity, from, to));
  });
  let label: AssembleRangeResult['label'];
  const l = task.label;
  if (l !== undefined) {
    const w: LabelWindows = labelWindows(l.window, time);
    // count, first, last: events at or before the first window's start never reach a window.
    const start = NO_PREFIX_OPS.has(l.op) && w.from.length > 0 ? firstAfter(l.time, 0, l.time.length, w.from[0]!) : 0;
    const events = {
      codes: l.codes.subarray(start),
      time: l.time.subarray(start),
      ...(l.values && { values: l.values.subarray(start) }),
      ...(l.include && { include: l.include.subarray(start) }),
    };
    const into = { values: l.out.subarray(from, to), counts: l.outCounts.subarray(from, to) };
    const ahead = sweepAhead(l.op, events, l.spineCodes.subarray(from, to), w.from, w.to, l.size, into);
    label = ahead === undefined ? { swept: false, nulls: false } : { swept: true, nulls: putBits(l.outValidity, ahead.validity, from, to) };
  }
  return { joinNulls, ...(label && { label }), ms: performance.now() - started };
}

/**
 * First table row the warm-up must pass: rows older than `t - tolerance` never match a spine row at
 * or after `t` (too old), so they are skipped; rounded down to a multiple of 8 so that validity
 * bitmaps can be sliced by whole bytes (the extra rows are too old as well, hence harmless).
 */
function warmStart(tableTime: Float64Array, t: number | undefined, tolerance: number): number {
  if (t === undefined || !Number.isFinite(tolerance)) return 0;
  // The first row with `t - time <= tolerance`, in the kernel's own arithmetic (subtraction rounds
  // monotonically, so the rows before it give `t' - time > tolerance` at every later t' too).
  let lo = 0;
  let hi = tableTime.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t - tableTime[mid]! > tolerance) lo = mid + 1;
    else hi = mid;
  }
  return lo & ~7;
}

/** Copy a range's bitmap (bit 0 = row `from`) into the shared bitmap; all-valid when absent. Whether the range holds a null. */
function putBits(out: Uint8Array, bits: Uint8Array | undefined, from: number, to: number): boolean {
  const bytes = (to - from + 7) >> 3;
  if (bits === undefined) {
    out.fill(0xff, from >> 3, (from >> 3) + bytes);
    return false;
  }
  out.set(bits.subarray(0, bytes), from >> 3);
  return true;
}
