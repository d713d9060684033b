import { tasksFor, type TaskPool } from '../../actors/pool/taskPool.js';
import type { Column, NumberColumn } from '../../pipelines/data/column.js';
import type { LabelConfig } from '../../sdk/config/types.js';
import type { AssembleRangeResult, AssembleRangeTask, JoinTask, LabelTask } from './assembleTask.js';
import { labelWindows } from './labelWindow.js';
import type { SweepEvents } from './labelSweep.js';
import type { AheadResult } from './lookahead.js';

/**
 * Parallel label assembly, the main-thread side: the kept spine rows are cut into time ranges
 * (contiguous rows of the time-sorted spine), and each range is assembled on the task pool by
 * `assembleRange` (`assembleTask.ts`): every as-of join of the set and the label's sweep, with the
 * single-thread kernels, each range warming up on the rows before it. Results are the single-thread
 * results, value for value and null for null (`test/store/labels/parallelAssemble.test.ts`).
 *
 * Why time ranges rather than key partitions: splitting rows by key on any thread costs about what
 * the sweep it saves (a branch on a random key per row), and every join and the label have keys of
 * their own. A time range is a slice: nothing is split, each task reads its own rows, and a range's
 * results land in its own slice of the outputs. The price is the warm-up, which the kernels' inner
 * loop does at a fraction of the cost of the sweep.
 *
 * Data: every input is copied once into shared memory (a typed array already backed by a
 * SharedArrayBuffer is used as is), in an arena reused from one set to the next, and shared by every
 * task; each task writes its rows of the outputs, SharedArrayBuffer-backed arrays that become the
 * set's columns as they are. No per-row object crosses a thread.
 */

/**
 * Spine rows below which a set is assembled on the calling thread. Under it the second thread saves
 * a few milliseconds at best (by CPU time, 2 threads: ~1.13x at 50k rows, ~1.16x at 200k, ~1.26x at
 * 1M, on the bench's workload), while posting the tasks and waiting for the slowest one can cost as
 * much on a busy machine (bench/suites/poolAssembly.ts, on a shared 2-core box: 0.2x at 12.5k rows,
 * 0.6x at 50k).
 */
export const PARALLEL_MIN_ROWS = 200_000;

/**
 * Units of work a thread does in a millisecond, for the task-size rule (a task carries at least
 * `MIN_TASK_MS`, 1 ms, of it: `tasksFor`). A unit is a spine row per join (and per label sweep), a
 * table row, or a label event. Measured on the bench's workload: 1M spine rows, 3 joins over 1M-row
 * tables and a label over 1M events (8M units) in ~150 ms of sweeps on one thread.
 */
export const ROWS_PER_MS = 50_000;

export interface ParallelOptions {
  /** Spine rows below which the set is assembled on the calling thread (default `PARALLEL_MIN_ROWS`). */
  minRows?: number;
  /** Time ranges to cut the spine into (default: one per pool thread, each of at least ~1 ms of work). For tests and benchmarks. */
  partitions?: number;
  /** Called after a set was assembled on the pool, with where the time went (for benchmarks). */
  report?: (r: ParallelReport) => void;
}

/** Where a parallel assembly's time went, ms. */
export interface ParallelReport {
  /** Copying the inputs into shared memory (this thread). */
  copyMs: number;
  /** From posting the tasks to the last result (this thread waits, or computes a grouped label). */
  tasksMs: number;
  /** Each range's rows and the time its task took on its thread. */
  ranges: { rows: number; ms: number }[];
}

/** One as-of join, as the assembler prepared it: the table's codes in the spine's key space, its times, the columns. */
export interface JoinInput {
  spineCodes: Int32Array;
  tableCodes: Int32Array;
  tableTime: Float64Array;
  columns: readonly Column[];
  size: number;
  tolerance: number;
}

/** The label's sweep, as the assembler prepared it (only for the ops `sweepAhead` computes). */
export interface LabelSweepInput {
  label: Pick<LabelConfig, 'op' | 'kind' | 'horizon' | 'period' | 'periods' | 'offset'>;
  spineCodes: Int32Array;
  events: SweepEvents;
  size: number;
}

export interface PoolAssembly {
  /** Per join, its columns, as `asOfJoin` gives them. */
  joins: NumberColumn[][];
  /** The label's look-ahead as `sweepAhead` gives it, or undefined when it declined (windows out of time order). */
  label?: AheadResult;
  /** Where the time went. */
  report: ParallelReport;
}

/**
 * How many time ranges to cut `rows` spine rows into: 1 (assemble on the calling thread) under
 * `minRows`, else one per pool thread, as long as each carries at least ~1 ms of work (`tasksFor`),
 * and each at least 8 rows.
 */
export function rangesFor(rows: number, work: number, threads: number, opts: ParallelOptions = {}): number {
  if (rows < (opts.minRows ?? PARALLEL_MIN_ROWS)) return 1;
  const wanted = opts.partitions ?? tasksFor(work, { threads, workPerMs: ROWS_PER_MS });
  return Math.max(1, Math.min(wanted, rows >> 3));
}

/**
 * The joins and the label sweep of `time.length` spine rows (time-sorted), cut into `ranges` time
 * ranges assembled on `pool`. The output columns are backed by SharedArrayBuffers (the tasks wrote
 * them there; copying them out would cost more than the second thread saves).
 */
export async function assembleOnPool(pool: TaskPool, time: Float64Array, joins: readonly JoinInput[], label: LabelSweepInput | undefined, ranges: number): Promise<PoolAssembly> {
  const started = performance.now();
  const n = time.length;
  const bitmapBytes = (n + 7) >> 3;
  const joinInputs = joins.map((j) => ({ j, values: j.columns.map(float64Of) }));
  // Inputs: one arena, reused from the last set when it is big enough (fresh memory costs a page fault per 4 KiB).
  const inputs = new SharedInputs([
    time,
    ...joinInputs.flatMap(({ j, values }) => [j.spineCodes, j.tableCodes, j.tableTime, ...values, ...j.columns.flatMap((c) => (c.validity ? [c.validity] : []))]),
    ...(label ? [label.spineCodes, label.events.codes, label.events.time, ...(label.events.values ? [label.events.values] : []), ...(label.events.include ? [label.events.include] : [])] : []),
  ]);
  try {
    const spineTime = inputs.of(time);
    const joinTasks: JoinTask[] = joinInputs.map(({ j, values }) => {
      const table = inTimeOrder(j.tableTime, j.tableCodes, values, j.columns.map((c) => c.validity), inputs);
      return {
        spineCodes: inputs.of(j.spineCodes),
        tableCodes: table.codes,
        tableTime: table.time,
        values: table.values,
        validity: table.validity,
        size: j.size,
        tolerance: j.tolerance,
        out: j.columns.map(() => new Float64Array(new SharedArrayBuffer(8 * n))),
        outValidity: j.columns.map(() => new Uint8Array(new SharedArrayBuffer(bitmapBytes))),
      };
    });
    let labelTask: LabelTask | undefined;
    if (label !== undefined) {
      const e = label.events;
      const ev = inTimeOrder(e.time, e.codes, e.values === undefined ? [] : [e.values], [], inputs, e.include);
      const { op, kind, horizon, period, periods, offset } = label.label;
      labelTask = {
        op,
        window: { kind, horizon, period, periods, offset },
        spineCodes: inputs.of(label.spineCodes),
        codes: ev.codes,
        time: ev.time,
        ...(e.values !== undefined && { values: ev.values[0]! }),
        ...(ev.include && { include: ev.include }),
        size: label.size,
        out: new Float64Array(new SharedArrayBuffer(8 * n)),
        outValidity: new Uint8Array(new SharedArrayBuffer(bitmapBytes)),
        outCounts: new Int32Array(new SharedArrayBuffer(4 * n)),
      };
    }

    const bounds = rangeBounds(n, ranges, WARM_SHARE);
    const tasks: AssembleRangeTask[] = [];
    for (let p = 0; p + 1 < bounds.length; p++) {
      tasks.push({ from: bounds[p]!, to: bounds[p + 1]!, spineTime, joins: joinTasks, ...(labelTask && { label: labelTask }) });
    }
    const posted = performance.now();
    // allSettled: the inputs go back to the arena only once no task reads them any more.
    const settled = await Promise.allSettled(tasks.map((t) => pool.run<AssembleRangeResult>(ASSEMBLE_TASK, 'assembleRange', t)));
    const results = settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });

    const report: ParallelReport = {
      copyMs: posted - started,
      tasksMs: performance.now() - posted,
      ranges: results.map((r, p) => ({ rows: tasks[p]!.to - tasks[p]!.from, ms: r.ms })),
    };
    const outJoins = joinTasks.map((j, k) =>
      j.out.map((values, c): NumberColumn =>
        results.some((r) => r.joinNulls[k]![c]) ? { type: 'float64', values, validity: j.outValidity[c]! } : { type: 'float64', values },
      ),
    );
    let outLabel: AheadResult | undefined;
    if (labelTask !== undefined && results.every((r) => r.label?.swept) && windowsMonotoneAcross(label!.label, time, bounds)) {
      const nulls = results.some((r) => r.label!.nulls);
      outLabel = { values: labelTask.out, validity: nulls ? labelTask.outValidity : undefined, counts: labelTask.outCounts };
    }
    return { joins: outJoins, ...(outLabel && { label: outLabel }), report };
  } finally {
    inputs.release();
  }
}

/** The pool task module (its `assembleRange`). */
const ASSEMBLE_TASK = new URL('./assembleTask.ts', import.meta.url);

/** The task module, for `createTaskPool({ preload })`: threads that load it while they start answer the first set sooner. */
export const ASSEMBLE_TASK_MODULE: URL = ASSEMBLE_TASK;

/**
 * What warming up over a row before a range costs, relative to sweeping a row of the range (both
 * per unit of time covered): a later range passes the rows before it first, so ranges are cut
 * shorter the later they start. Measured on the bench's workload (as-of joins without tolerance
 * ~0.25, a sum label ~0.4, count/first/last labels ~0: they skip it); a rough middle.
 */
export const WARM_SHARE = 0.2;

/**
 * `ranges` + 1 boundaries over `n` rows, each inner one a multiple of 8 (so each range owns whole
 * bitmap bytes). Range p costs about `len_p + warmShare * start_p` (its rows, plus the warm-up over
 * the rows before it); the cut equalizes that: with r = warmShare, boundary p sits at the fraction
 * `k (1 - (1 - r)^p) / r` of the rows, k = r / (1 - (1 - r)^ranges) (equal ranges when r = 0).
 */
export function rangeBounds(n: number, ranges: number, warmShare = 0): number[] {
  const r = warmShare;
  const at = (p: number): number => (r <= 0 ? p / ranges : (1 - (1 - r) ** p) / (1 - (1 - r) ** ranges));
  const bounds = [0];
  for (let p = 1; p < ranges; p++) {
    const b = Math.min(n, Math.max(bounds[p - 1]!, Math.round((at(p) * n) / 8) * 8));
    bounds.push(b);
  }
  bounds.push(n);
  // Empty ranges (tiny inputs) are dropped.
  return bounds.filter((b, i) => i === 0 || b > bounds[i - 1]!);
}

/**
 * The sweep needs windows in time order over all rows; each task checks its own range, and this
 * checks the edges between ranges (the one-thread sweep would decline the whole spine otherwise).
 */
function windowsMonotoneAcross(label: LabelSweepInput['label'], time: Float64Array, bounds: readonly number[]): boolean {
  for (let p = 1; p + 1 < bounds.length; p++) {
    const b = bounds[p]!;
    const w = labelWindows(label, time.subarray(b - 1, b + 1));
    if (w.from[1]! < w.from[0]! || w.to[1]! < w.to[0]!) return false;
  }
  return true;
}

/** Up to this many bytes of inputs go in one reusable arena; beyond, each array gets a buffer of its own. */
const ARENA_MAX_BYTES = 2 ** 30;
/** How long an idle arena is kept for the next set. */
const ARENA_KEEP_MS = 30_000;
let idleArena: SharedArrayBuffer | undefined;
let dropTimer: NodeJS.Timeout | undefined;

type Shareable = Int32Array | Float64Array | Uint8Array;
type ShareableCtor<T extends Shareable> = { new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/**
 * The tasks' inputs in shared memory: each array copied once (an array read by two jobs is copied
 * once; one already backed by a SharedArrayBuffer is used as is), bump-allocated in one arena that
 * the next set reuses when it is big enough. Fresh memory costs a page fault per 4 KiB on first
 * touch, several times the copy itself; the arena is dropped after `ARENA_KEEP_MS` unused.
 */
class SharedInputs {
  private readonly copies = new Map<ArrayBufferView, Shareable>();
  private readonly arena: SharedArrayBuffer | undefined;
  private at = 0;

  /** `arrays`: every array that will be copied (or gathered), to size the arena. */
  constructor(arrays: readonly Shareable[]) {
    let bytes = 0;
    for (const a of new Set(arrays)) if (!(a.buffer instanceof SharedArrayBuffer)) bytes += (a.byteLength + 7) & ~7;
    if (bytes === 0 || bytes > ARENA_MAX_BYTES) return;
    clearTimeout(dropTimer);
    if (idleArena !== undefined && idleArena.byteLength >= bytes) {
      this.arena = idleArena;
      idleArena = undefined;
    } else {
      idleArena = undefined;
      this.arena = new SharedArrayBuffer(bytes);
    }
  }

  /** A shared array of `length` elements (in the arena when there is room). */
  alloc<T extends Shareable>(Ctor: ShareableCtor<T>, length: number): T {
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    if (this.arena !== undefined && this.at + bytes <= this.arena.byteLength) {
      const out = new Ctor(this.arena, this.at, length);
      this.at = (this.at + bytes + 7) & ~7;
      return out;
    }
    return new Ctor(new SharedArrayBuffer(bytes), 0, length);
  }

  /** `x` in shared memory. */
  of<T extends Shareable>(x: T): T {
    if (x.buffer instanceof SharedArrayBuffer) return x;
    let c = this.copies.get(x) as T | undefined;
    if (c === undefined) {
      c = this.alloc(x.constructor as ShareableCtor<T>, x.length);
      c.set(x as never);
      this.copies.set(x, c);
    }
    return c;
  }

  /** Give the arena back for the next set (no task may read it any more). */
  release(): void {
    if (this.arena === undefined) return;
    if (idleArena === undefined || idleArena.byteLength < this.arena.byteLength) idleArena = this.arena;
    clearTimeout(dropTimer);
    dropTimer = setTimeout(() => (idleArena = undefined), ARENA_KEEP_MS).unref();
  }
}

/** A feature column as float64 values (bools and int32s converted, as `asOfJoin` converts them). */
function float64Of(c: Column): Float64Array {
  if (c.type === 'dictionary') throw new Error('a feature is a number; got a string column');
  return c.values instanceof Float64Array ? c.values : Float64Array.from(c.values as ArrayLike<number>);
}

/**
 * Rows (codes, times, values, validity, include bytes) in shared memory and in time order: copied as
 * they are when their times are non-decreasing, else gathered in stable time order (ties keep their
 * order), the order the kernels would sort them into on one thread.
 */
function inTimeOrder(
  time: Float64Array,
  codes: Int32Array,
  values: readonly Float64Array[],
  validity: readonly (Uint8Array | undefined)[],
  inputs: SharedInputs,
  include?: Uint8Array,
): { time: Float64Array; codes: Int32Array; values: Float64Array[]; validity: (Uint8Array | undefined)[]; include?: Uint8Array } {
  let sorted = true;
  for (let i = 1; i < time.length; i++) {
    if (time[i]! < time[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    return {
      time: inputs.of(time),
      codes: inputs.of(codes),
      values: values.map((v) => inputs.of(v)),
      validity: validity.map((v) => v && inputs.of(v)),
      ...(include && { include: inputs.of(include) }),
    };
  }
  const m = time.length;
  const idx = Int32Array.from({ length: m }, (_, i) => i);
  idx.sort((a, b) => time[a]! - time[b]! || a - b);
  const gather = <T extends Shareable>(src: T, Ctor: ShareableCtor<T>): T => {
    const out = inputs.alloc(Ctor, m);
    for (let j = 0; j < m; j++) out[j] = src[idx[j]!]!;
    return out;
  };
  return {
    time: gather(time, Float64Array),
    codes: gather(codes, Int32Array),
    values: values.map((v) => gather(v, Float64Array)),
    validity: validity.map((v) => {
      if (v === undefined) return undefined;
      const out = inputs.alloc(Uint8Array, (m + 7) >> 3);
      out.fill(0);
      for (let j = 0; j < m; j++) {
        const r = idx[j]!;
        if ((v[r >> 3]! >> (r & 7)) & 1) out[j >> 3]! |= 1 << (j & 7);
      }
      return out;
    }),
    ...(include && { include: gather(include, Uint8Array) }),
  };
}
