import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { configureWorkerHeaps } from '../workerHeap.js';

/**
 * A pool of worker threads for stateless parallel work (label assembly by time range, and the like),
 * over piscina. Small on purpose:
 *
 * - **Lazy.** No thread starts until the first `run` (or `warm`), so importing this costs nothing.
 * - **Never holds the process open.** Idle threads and their ports are unref'd (piscina does this
 *   between tasks); a program that forgets `close()` still exits when its own work is done. A task
 *   in flight keeps the process alive until it settles, as any pending promise's work would.
 * - **TypeScript tasks.** Task modules are .ts files run under tsx. A thread does not inherit tsx
 *   from `execArgv` on Node 20, so every thread starts in `bootstrap.mjs`, which registers tsx's
 *   loader inside the thread and then imports the task module (as `threads/spawn.ts` does for the
 *   threads executor). A .js module is imported as is.
 * - **Errors reach the caller.** An exception thrown by a task rejects `run` with an Error carrying
 *   its message (and its name and stack, as structured clone keeps them); the thread stays usable.
 *
 * Data goes to tasks as SharedArrayBuffer-backed typed arrays (shared, never copied) or as
 * transferred ArrayBuffers (`transfer`), never as arrays of per-row objects.
 *
 * **Task sizing.** A task must carry at least about {@link MIN_TASK_MS} ms of work: posting a task
 * and waking a thread costs tens of microseconds, and waiting on the slowest of several tasks costs
 * more, so finer tasks lose to one thread. Small jobs are batched into one task (`batchJobs`), and
 * work is split into no more tasks than it has milliseconds (`tasksFor`). Below that, run it inline.
 *
 * @example
 * const pool = createTaskPool({ threads: 2 });
 * const sum = await pool.run<number>(new URL('./myTask.ts', import.meta.url), 'sumOf', { data: sharedFloat64s });
 * await pool.close();
 */
export interface TaskPool {
  /** Threads the pool runs (all started on first use, kept until `close`). */
  readonly threads: number;
  /** Whether the threads have been started. */
  readonly started: boolean;
  readonly closed: boolean;
  /**
   * Run `fn(payload)`, an export of `module` (a file URL, .ts or .js), on a pool thread.
   * `transfer` lists ArrayBuffers (or ports) moved to the thread rather than cloned.
   * @throws (rejects) with the task's own error; with an Error when the pool is closed
   */
  run<R = unknown>(module: URL, fn: string, payload: unknown, opts?: RunOptions): Promise<R>;
  /** Start the threads now (and load the `preload` modules in them), so the first `run` does not wait for it. */
  warm(): void;
  /** Wait for tasks in flight, then stop the threads. Idempotent; `run` rejects afterwards. */
  close(): Promise<void>;
}

export interface TaskPoolOptions {
  /** Threads (default: `defaultThreads()`). */
  threads?: number;
  /** Task modules each thread imports while it starts (file URLs). */
  preload?: readonly URL[];
}

export interface RunOptions {
  transfer?: readonly Transferable[];
  signal?: AbortSignal;
}

/** The least work, in ms on one thread, worth a task of its own (see "Task sizing" above). */
export const MIN_TASK_MS = 1;

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.mjs', import.meta.url));

/** Threads when none are asked for: the cores there are, up to 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * A pool of `threads` worker threads, started on first use. See {@link TaskPool}.
 * @throws Error when `threads` is not a positive integer
 */
export function createTaskPool(opts: TaskPoolOptions = {}): TaskPool {
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`a task pool needs a positive whole number of threads, got ${threads}`);
  const preload = (opts.preload ?? []).map((u) => u.href);
  let piscina: Piscina | undefined;
  let closed = false;

  const start = (): Piscina => {
    if (closed) throw new Error('the task pool is closed');
    if (piscina !== undefined) return piscina;
    configureWorkerHeaps();
    piscina = new Piscina({
      filename: BOOTSTRAP,
      minThreads: threads,
      maxThreads: threads,
      // Threads stay until close(): starting one (tsx, the task modules) costs far more than a task.
      idleTimeout: Infinity,
      // execArgv is inherited (as for the threads executor): a parent's `--import tsx` is harmless
      // in a thread, and bootstrap.mjs registers tsx there whether or not it came.
      workerData: { preload },
    });
    // A thread that dies with tasks in flight rejects them (their callers get the error). One that
    // dies idle is replaced; piscina reports it as an 'error' event, which must not crash the process.
    piscina.on('error', () => undefined);
    return piscina;
  };

  return {
    threads,
    get started() {
      return piscina !== undefined;
    },
    get closed() {
      return closed;
    },
    async run<R>(module: URL, fn: string, payload: unknown, ro: RunOptions = {}): Promise<R> {
      const p = start();
      return (await p.run(
        { module: module.href, fn, payload },
        { ...(ro.transfer && { transferList: ro.transfer as Transferable[] }), ...(ro.signal && { signal: ro.signal }) },
      )) as R;
    },
    warm() {
      start();
    },
    async close() {
      if (closed) return;
      closed = true;
      const p = piscina;
      piscina = undefined;
      await p?.close();
    },
  };
}

const shared = new Map<number, TaskPool>();

/**
 * The process-wide pool of `threads` threads, created on first use and kept for the next caller
 * (`tributary label --threads N` builds several sets on one pool). Unref'd like any pool: nobody
 * has to close it for the process to exit; `closeSharedTaskPools` stops them early.
 *
 * @example
 * const set = await assembleSet(compiled, 'fraud_7d', inputs, { pool: sharedTaskPool(2) });
 */
export function sharedTaskPool(threads: number = defaultThreads(), preload: readonly URL[] = []): TaskPool {
  let p = shared.get(threads);
  if (p === undefined || p.closed) {
    p = createTaskPool({ threads, preload });
    shared.set(threads, p);
  }
  return p;
}

/** Close every shared pool (tests, and programs that want their threads gone before they exit). */
export async function closeSharedTaskPools(): Promise<void> {
  const pools = [...shared.values()];
  shared.clear();
  await Promise.all(pools.map((p) => p.close()));
}

/**
 * How many tasks to split `work` into: one per thread at most, and none carrying less than
 * `minTaskMs` of work (`workPerMs`: units of work one thread does in a millisecond). 1 means "run
 * it inline": the pool would not pay for itself.
 *
 * @example
 * tasksFor(3_000_000, { threads: 2, workPerMs: 80_000 }); // 2
 * tasksFor(100_000, { threads: 2, workPerMs: 80_000 });   // 1: 1.25 ms in all, not worth two tasks
 */
export function tasksFor(work: number, opts: { threads: number; workPerMs: number; minTaskMs?: number }): number {
  const perTask = opts.workPerMs * (opts.minTaskMs ?? MIN_TASK_MS);
  return Math.max(1, Math.min(opts.threads, Math.floor(work / perTask)));
}

/**
 * Batch small jobs so that every task carries at least `minCost` of work: consecutive jobs are put
 * together until their costs reach it; a small remainder joins the last batch. Returns the job
 * indices of each batch, in order.
 *
 * @example
 * batchJobs([0.2, 0.3, 0.6, 2, 0.1], 1); // [[0, 1, 2], [3, 4]]
 */
export function batchJobs(costs: readonly number[], minCost: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let sum = 0;
  costs.forEach((c, i) => {
    current.push(i);
    sum += c;
    if (sum >= minCost) {
      batches.push(current);
      current = [];
      sum = 0;
    }
  });
  if (current.length > 0) {
    if (batches.length > 0) batches[batches.length - 1]!.push(...current);
    else batches.push(current);
  }
  return batches;
}
