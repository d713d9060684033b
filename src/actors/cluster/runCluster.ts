import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { sliceBatch, type Batch } from '../../pipelines/data/batch.js';
import type { RuntimeContext } from '../../pipelines/runtime/context.js';
import type { SourceBatches } from '../inProcess.js';
import type { BarrierPolicy } from './barrierPolicy.js';
import type { CheckpointStore } from './checkpointStore.js';
import type { FlowLimits } from './flowControl.js';
import type { ClusterEvent, ClusterRunSummary, Coordinator, SourceOffset } from './coordinator.js';
import { LocalCluster } from './localCluster.js';

export interface ClusterOptions {
  /** Actor nodes (default 2). */
  nodes?: number;
  /** Run on this coordinator, whose nodes were started elsewhere; otherwise node processes are started on loopback for the run. */
  coordinator?: Coordinator;
  checkpoints?: CheckpointStore;
  barrier?: BarrierPolicy;
  resume?: boolean;
  stopAfterCheckpoint?: number;
  /** Flow control: rows and bytes in flight to one node (default 1M rows, 64 MiB). */
  flow?: FlowLimits;
  /** Start with the nodes there after this long, when fewer than `nodes` joined (default 30 s). */
  waitForNodesMs?: number;
  /** After a node is lost, wait this long for a replacement before going on with fewer (default 10 s). */
  restoreWaitMs?: number;
  curveDir?: string;
  onEvent?: (e: ClusterEvent) => void;
  onNotice?: (message: string) => void;
}

/** Sources that can be read again from a position, for restores. */
export type ReopenSources = (from: Readonly<Record<string, SourceOffset>> | undefined) => Readonly<Record<string, SourceBatches>>;

/**
 * Run a compiled feature set on the cluster: on `opts.coordinator`, or on a coordinator in this
 * process with `nodes` node processes started for the run. `reopen` reads the sources again from
 * a checkpoint's offsets; without it, array sources are re-read by skipping rows, and any other
 * source cannot be restored (a lost node then fails the run).
 */
export async function runCluster(
  compiled: CompiledFeatureSet,
  runtime: RuntimeContext,
  sources: Readonly<Record<string, SourceBatches>>,
  onOutput: (table: string, batch: Batch) => void,
  onInput: ((source: string, batch: Batch) => void) | undefined,
  opts: ClusterOptions,
  reopen?: ReopenSources,
): Promise<ClusterRunSummary> {
  const nodes = opts.nodes ?? 2;
  let opened = false;
  const open: ReopenSources =
    reopen ??
    ((from) => {
      if (!opened) {
        opened = true;
        if (from === undefined) return sources;
      }
      return Object.fromEntries(Object.entries(sources).map(([name, s]) => [name, skipRows(name, s, from?.[name]?.rows ?? 0)]));
    });
  const cluster = opts.coordinator === undefined ? await LocalCluster.start({ nodes, ...(opts.curveDir !== undefined && { curveDir: opts.curveDir }) }) : undefined;
  const coordinator = opts.coordinator ?? cluster!.coordinator;
  try {
    return await coordinator.run({
      compiled,
      runtime,
      open,
      onOutput,
      ...(onInput && { onInput }),
      nodes,
      ...(opts.checkpoints && { checkpoints: opts.checkpoints }),
      ...(opts.barrier && { barrier: opts.barrier }),
      ...(opts.resume && { resume: true }),
      ...(opts.stopAfterCheckpoint !== undefined && { stopAfterCheckpoint: opts.stopAfterCheckpoint }),
      ...(opts.onEvent && { onEvent: opts.onEvent }),
      ...(opts.waitForNodesMs !== undefined && { waitForNodesMs: opts.waitForNodesMs }),
      ...(opts.flow && { flow: opts.flow }),
      ...(opts.restoreWaitMs !== undefined && { restoreWaitMs: opts.restoreWaitMs }),
    });
  } finally {
    await cluster?.close();
  }
}

/** An array source from row `rows` on (a restore); other sources cannot be read twice. */
function* skipRows(name: string, s: SourceBatches, rows: number): Iterable<Batch> {
  if (!Array.isArray(s)) throw new Error(`source "${name}" cannot be read again from a checkpoint: give the cluster executor a way to reopen it`);
  let at = 0;
  for (const b of s as Batch[]) {
    if (at + b.length <= rows) {
      at += b.length;
      continue;
    }
    yield at >= rows ? b : sliceBatch(b, rows - at, b.length);
    at += b.length;
  }
}
