import type { Worker } from 'node:worker_threads';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import type { RuntimeContext } from '../../pipelines/runtime/context.js';
import { interleave, type SourceBatches } from '../inProcess.js';
import { mergeWindowTables } from '../lanes/mergeLaneOutputs.js';
import type { LanePlan } from '../lanes/planLanes.js';
import { SourceSplitter } from '../lanes/sourceSplitter.js';
import { assign } from '../partitioning/assignment.js';
import { KeyHashes } from '../partitioning/keyGroupsOf.js';
import { DEFAULT_KEY_GROUPS } from '../partitioning/keyHash.js';
import { EventsTable } from './eventsTable.js';
import type { FromMain, ToMain, WorkerInit } from './protocol.js';
import { rowOutputLayout, type RowProgress } from './rowOutputs.js';
import { startModuleWorker } from './spawn.js';
import { DictionaryTable, fromWire, toWire, WirePool } from './wire.js';

export interface ThreadsOptions {
  /** Worker threads (default 2). */
  workers?: number;
  /** Batches a worker may have queued before the reader waits (default 8). */
  maxInFlight?: number;
  /** Rows per output batch handed to `onOutput` (default 65,536). */
  outputBatchRows?: number;
}

/** Workers of finished runs, reused by the next one (a worker's start-up, loading and JIT warm-up, is paid once). */
const idleWorkers: Worker[] = [];
/** Key hashes of the dictionaries of key columns, computed once per dictionary (they outlive runs). */
const keyHashes = new KeyHashes();

interface WorkerHandle {
  worker: Worker;
  index: number;
  inFlight: number;
  done: boolean;
}

/**
 * Run a compiled feature set on worker threads, with the same results, in the same row order, as
 * `runInProcess`. Sources are read here; each batch is copied once into shared memory and every
 * worker picks, per lane, the rows of the key groups it owns (feed.ts). Workers run each lane's
 * compiled pipeline:
 * - an events table: workers write feature values at each row's number into the batch's output
 *   segment; this thread, which has the source columns and orders the rows as `reorder` does,
 *   emits the table as the rows complete (eventsTable.ts): views, for an in-order source;
 * - a windowed table: workers send their rows; when the input ends they are put in (window end,
 *   key code) order, the order windows close in.
 *
 * Lateness: each worker sees only its keys, so its own watermark would trail the source's. The
 * reader therefore announces the source's watermark before every row that is behind it, and each
 * worker decides those rows exactly as one thread over all keys would.
 */
export async function runThreads(
  compiled: CompiledFeatureSet,
  runtime: RuntimeContext,
  sources: Readonly<Record<string, SourceBatches>>,
  onOutput: (table: string, batch: Batch) => void,
  onInput: ((source: string, batch: Batch) => void) | undefined,
  opts: ThreadsOptions & { plan: LanePlan },
): Promise<void> {
  const count = Math.max(1, Math.floor(opts.workers ?? 2));
  const maxInFlight = opts.maxInFlight ?? 8;
  const { lanes } = opts.plan;
  const config = compiled.config;
  const keyGroups = config.keyGroups ?? DEFAULT_KEY_GROUPS;
  const assignment = assign(keyGroups, Array.from({ length: count }, (_, i) => `w${i}`));
  // Actor index (canonical order) -> worker index.
  const workerOf = Int32Array.from(assignment.actors, (a) => Number(a.slice(1)));
  const owner = Int32Array.from(assignment.owner, (a) => workerOf[a]!);

  const dicts = new DictionaryTable();
  const layout = rowOutputLayout(compiled, lanes);
  const chunk = opts.outputBatchRows ?? 65_536;
  // Events tables are assembled as the workers write them; windowed rows are collected, merged at the end.
  const events = new Map<string, EventsTable>();
  for (const [source, slots] of Object.entries(layout)) {
    if (source in sources) events.set(source, new EventsTable(compiled, lanes, source, slots, (b) => onOutput(source, b), chunk));
  }
  const sourceOfLane = (id: number) => lanes[id]?.source;
  // Per source, the columns of lane keys: their dictionaries travel with their key hashes.
  const keyColumns = new Map<string, Set<string>>();
  for (const l of lanes) for (const c of l.key) keyColumns.set(l.source, (keyColumns.get(l.source) ?? new Set()).add(c));
  // With several workers every worker gathers its rows (keeps no view of the batch), so a batch's
  // buffer is recycled once all have acknowledged it. One worker reads the batch in place instead.
  const pool = count > 1 ? new WirePool(2 * maxInFlight + 2) : undefined;
  const pendingWire = new Map<number, { buffer: SharedArrayBuffer; acks: number }>();
  const progress = (p: RowProgress | undefined) => {
    if (p === undefined) return;
    for (const t of events.values()) t.progress(p, sourceOfLane);
  };
  // collected[lane][table][worker]
  const collected = lanes.map(() => new Map<string, Batch[][]>());
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Emits the events rows whose features have arrived, whenever the reader waits.
  const pump = () => {
    for (const t of events.values()) t.pump();
  };
  const waitFor = async (cond: () => boolean) => {
    for (;;) {
      if (failure !== undefined) throw failure;
      pump();
      if (cond()) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  const handles: WorkerHandle[] = [];
  let readyCount = 0;
  const detach: (() => void)[] = [];
  const init = (index: number): WorkerInit => ({ config, lanes, layout, keyGroups, owner, index, workers: count });
  for (let i = 0; i < count; i++) {
    const worker = idleWorkers.pop() ?? startModuleWorker(new URL('./worker.ts', import.meta.url));
    worker.ref();
    const h: WorkerHandle = { worker, index: i, inFlight: 0, done: false };
    const onMessage = (m: ToMain) => {
      switch (m.type) {
        case 'ready':
          readyCount++;
          break;
        case 'ack': {
          h.inFlight--;
          const p = pendingWire.get(m.seq);
          if (p !== undefined && --p.acks === 0) {
            pendingWire.delete(m.seq);
            pool!.give(p.buffer);
          }
          try {
            progress(m.progress);
          } catch (err) {
            failure ??= err;
          }
          break;
        }
        case 'output': {
          const byTable = collected[m.lane]!;
          let perWorker = byTable.get(m.table);
          if (perWorker === undefined) {
            perWorker = Array.from({ length: count }, () => []);
            byTable.set(m.table, perWorker);
          }
          perWorker[i]!.push(fromWire(m.batch, dicts));
          return;
        }
        case 'reject': {
          const r = m.rejection;
          runtime.step(r.step, r.source).reject({ time: r.time, reason: r.reason, ...(r.offset !== undefined && { offset: r.offset }) });
          return;
        }
        case 'done':
          h.done = true;
          try {
            progress(m.progress);
          } catch (err) {
            failure ??= err;
          }
          break;
        case 'error': {
          const e = new Error(`worker ${i}: ${m.message}`);
          if (m.stack !== undefined) e.stack = m.stack;
          failure ??= e;
          break;
        }
      }
      notify();
    };
    const onError = (err: Error) => {
      failure ??= err;
      notify();
    };
    const onExit = (code: number) => {
      failure ??= new Error(`worker ${i} exited (code ${code}) before finishing`);
      notify();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    detach.push(() => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
    worker.postMessage({ type: 'init', init: init(i) } satisfies FromMain);
    handles.push(h);
  }

  try {
    await waitFor(() => readyCount === count);

    // Without lanes, the splitter computes no key groups (the workers do): base rows, announcements, key orders.
    const splitter = new SourceSplitter(compiled, [], Object.keys(sources));
    let seq = 0;

    await interleave(sources, async (source, b) => {
      if (failure !== undefined) throw failure;
      onInput?.(source, b);
      // Per row here: the watermark scan, the events order and the copy; each worker picks its own rows.
      const { base, announce } = splitter.split(source, b);
      const table = events.get(source);
      const segment = table?.add(b, base, announce);
      const dictionaries = dicts.deltas(b, keyColumns.get(source), keyHashes);
      const wire = pool === undefined ? toWire(b, dicts, true) : toWire(b, dicts, true, (bytes) => pool.take(bytes));
      if (pool !== undefined) pendingWire.set(seq, { buffer: wire.time.buffer as SharedArrayBuffer, acks: count });
      const msg: FromMain = {
        type: 'batch',
        seq,
        source,
        base,
        batch: wire,
        dictionaries,
        announce,
        ...(segment !== undefined && { segment }),
        ...(table !== undefined && { doneBelow: table.doneBelow }),
      };
      for (const h of handles) {
        h.inFlight++;
        h.worker.postMessage(msg);
      }
      seq++;
      await waitFor(() => handles.every((h) => h.inFlight < maxInFlight));
    });
    for (const h of handles) h.worker.postMessage({ type: 'end' } satisfies FromMain);
    await waitFor(() => handles.every((h) => h.done));

    for (const t of events.values()) t.finish();
    mergeWindowTables(compiled, lanes, collected, splitter.keyOrders, onOutput, chunk);
  } finally {
    for (const d of detach) d();
    // Workers that finished cleanly wait for the next run (unref'd: they never keep the process
    // alive); after a failure they are stopped.
    if (failure === undefined && handles.every((h) => h.done)) {
      for (const h of handles) {
        h.worker.unref();
        idleWorkers.push(h.worker);
      }
    } else await Promise.all(handles.map((h) => h.worker.terminate()));
  }
}

