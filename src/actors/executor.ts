import type { CompiledFeatureSet } from '../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../pipelines/data/batch.js';
import type { RuntimeContext } from '../pipelines/runtime/context.js';
import { runInProcess, type SourceBatches } from './inProcess.js';
import { planLanes } from './lanes/planLanes.js';
import { runThreads } from './threads/runThreads.js';
import { runCluster, type ClusterOptions, type ReopenSources } from './cluster/runCluster.js';

export type ExecutorKind = 'local' | 'threads' | 'cluster';
export const EXECUTOR_KINDS: readonly ExecutorKind[] = ['local', 'threads', 'cluster'];

/**
 * Where a compiled feature set runs. Every executor gives the same output tables, row for row and
 * value for value, for the same config and events.
 */
export interface Executor {
  readonly kind: ExecutorKind;
  run(
    compiled: CompiledFeatureSet,
    runtime: RuntimeContext,
    sources: Readonly<Record<string, SourceBatches>>,
    onOutput: (table: string, batch: Batch) => void,
    onInput?: (source: string, batch: Batch) => void,
    /** Read the sources again from a checkpoint's offsets (the cluster executor's restores). */
    reopen?: ReopenSources,
  ): Promise<void>;
}

export interface ExecutorOptions {
  /** Worker threads for `threads` (default 2). */
  workers?: number;
  /** Told when `threads` cannot run a feature set and runs it locally instead. */
  onNotice?: (message: string) => void;
  /** `cluster`: nodes, checkpoints, an external coordinator (see ClusterOptions). */
  cluster?: ClusterOptions;
}

/** One thread: `runInProcess`. */
export const localExecutor: Executor = { kind: 'local', run: runInProcess };

/**
 * Worker-thread actors (src/actors/threads): each worker owns key groups and runs the compiled
 * pipeline for them. A feature set it cannot partition runs locally, with a notice saying why.
 */
export function threadsExecutor(opts: ExecutorOptions = {}): Executor {
  return {
    kind: 'threads',
    async run(compiled, runtime, sources, onOutput, onInput) {
      const plan = planLanes(compiled, Object.keys(sources));
      if ('unsupported' in plan) {
        opts.onNotice?.(`threads executor: ${plan.unsupported}; running in this thread instead`);
        return runInProcess(compiled, runtime, sources, onOutput, onInput);
      }
      for (const note of plan.notes) opts.onNotice?.(note);
      await runThreads(compiled, runtime, sources, onOutput, onInput, { plan, ...(opts.workers !== undefined && { workers: opts.workers }) });
    },
  };
}

/**
 * A coordinator and ZeroMQ actor node processes (src/actors/cluster): node processes on loopback
 * for the run, or the nodes of `opts.cluster.coordinator`. Checkpoints and restores as configured.
 */
export function clusterExecutor(opts: ExecutorOptions = {}): Executor {
  return {
    kind: 'cluster',
    async run(compiled, runtime, sources, onOutput, onInput, reopen) {
      await runCluster(compiled, runtime, sources, onOutput, onInput, { ...opts.cluster, ...(opts.onNotice && { onNotice: opts.onNotice }) }, reopen);
    },
  };
}

/**
 * @example
 * const executor = createExecutor('threads', { workers: 2 });
 * await executor.run(compiled, createRuntime(), { trades: batches }, (table, b) => out[table].push(b));
 */
export function createExecutor(kind: ExecutorKind = 'local', opts: ExecutorOptions = {}): Executor {
  if (kind === 'local') return localExecutor;
  if (kind === 'threads') return threadsExecutor(opts);
  if (kind === 'cluster') return clusterExecutor(opts);
  throw new Error(`unknown executor "${String(kind)}": expected ${EXECUTOR_KINDS.join(' or ')}`);
}
