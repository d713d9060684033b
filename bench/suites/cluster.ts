import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../../src/actors/cluster/checkpointStore.js';
import type { ClusterEvent, ClusterJob, SourceOffset } from '../../src/actors/cluster/coordinator.js';
import type { FlowLimits } from '../../src/actors/cluster/flowControl.js';
import { LocalCluster } from '../../src/actors/cluster/localCluster.js';
import { createExecutor } from '../../src/actors/executor.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import { sliceBatch, type Batch } from '../../src/pipelines/data/batch.js';
import { valueAt } from '../../src/pipelines/data/column.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { createRuntime } from '../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, median, nowMs, timedWithLoad } from '../lib/timing.js';
import { generateReference, referenceBatches, referenceConfigText, REFERENCE_FEATURE } from '../workloads/reference.js';

/**
 * The cluster executor on the reference workload (BENCH_EVENTS events, 10k keys, 24 h, a 1 h
 * sliding count/sum/mean at every event), measured in one run against a baseline:
 *
 * 1. Replay throughput, events/s: `local` (one thread, Executor.run) against the coordinator of a
 *    LocalCluster with 2 and with 1 `tributary node` processes on loopback. The cluster is started
 *    once, and its start-up (spawning 2 node processes until both joined) is reported on its own; the
 *    timed runs are `coordinator.run` alone, with its default barrier policy (in-memory checkpoints
 *    every 500k rows or 10 s) and flow limits. The 1-node runs use the same 2-node cluster with
 *    `nodes: 1` (the other node stays idle, beating its heart).
 *
 * 2. Recovery after a SIGKILL: a 2-node run with checkpoints on disk (a CheckpointStore in the
 *    scratch directory, a barrier every BENCH_EVENTS/5 rows) is timed undisturbed, then again with
 *    node-1 SIGKILLed as soon as a checkpoint past 40% of the events is complete, or at half the
 *    undisturbed run's time if that comes first. Reported: the time
 *    from the kill to the coordinator's next `started` event (the restored run, with `restoredFrom`),
 *    and the total time of the disturbed run against the undisturbed one. Mode (BENCH_CLUSTER_RECOVERY):
 *    `restart` (default): LocalCluster restarts the killed node, as a StatefulSet would, and the run
 *    restores on 2 nodes once the replacement joined, so the delay includes a node's start-up;
 *    `shrink`: no replacement, the run restores at once on the 1 node left (waitForNodesMs 0), and the
 *    node is started again between repetitions. Both runs use a small flow-control window (64k rows in
 *    flight per node), so the coordinator reads the sources at the nodes' pace and checkpoints complete
 *    during the run: with the default window it reads and queues everything at once, and no checkpoint
 *    completes before the end (the coordinator completes them only between source batches).
 *
 * Every cluster contender's events table is checked against the local one (first repetition), value
 * for value, the disturbed run included: a restore must lose nothing and count nothing twice.
 *
 *   BENCH_SUITES=cluster npm run bench
 * Environment: BENCH_EVENTS (default 1M: about 2 minutes on 2 cores), BENCH_REPS (default 5), BENCH_CLUSTER_RECOVERY
 * (restart | shrink), BENCH_CLUSTER_RECOVERY_REPS (default BENCH_REPS).
 */

const DEFAULT_EVENTS = 1_000_000;
const BATCH_ROWS = 65_536;
const FEATURE = REFERENCE_FEATURE;
const RECOVERY_FLOW: FlowLimits = { rows: BATCH_ROWS, bytes: 64 * 1024 * 1024 };
const VICTIM = 'node-1';

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function compile(): CompiledFeatureSet {
  const config = parseConfig(referenceConfigText('bench_cluster'), { dir: process.cwd(), dataDir: process.cwd() });
  return compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
}

/** The batches from source row `rows` on: what a restore reads again. */
function fromRow(batches: readonly Batch[], rows: number): Batch[] {
  const out: Batch[] = [];
  let at = 0;
  for (const b of batches) {
    if (at + b.length > rows) out.push(at >= rows ? b : sliceBatch(b, rows - at, b.length));
    at += b.length;
  }
  return out;
}

/** The first difference between two events tables (rows, then key, value, features and time, row by row), or undefined. */
function compareOutputs(a: readonly Batch[], b: readonly Batch[]): string | undefined {
  const rows = (bs: readonly Batch[]) => bs.reduce((s, x) => s + x.length, 0);
  if (rows(a) !== rows(b)) return `${rows(a)} rows vs ${rows(b)}`;
  const cols = ['key', 'value', `${FEATURE}_count`, `${FEATURE}_sum`, `${FEATURE}_mean`];
  const cursor = (bs: readonly Batch[]) => {
    let bi = 0;
    let i = 0;
    return () => {
      while (i >= bs[bi]!.length) (bi++, (i = 0));
      return { b: bs[bi]!, i: i++ };
    };
  };
  const na = cursor(a);
  const nb = cursor(b);
  for (let r = 0; r < rows(a); r++) {
    const x = na();
    const y = nb();
    if (x.b.time[x.i] !== y.b.time[y.i]) return `time row ${r}: ${x.b.time[x.i]} vs ${y.b.time[y.i]}`;
    for (const c of cols) {
      const u = valueAt(x.b.columns[c]!, x.i);
      const v = valueAt(y.b.columns[c]!, y.i);
      if (!Object.is(u, v)) return `${c} row ${r}: ${String(u)} vs ${String(v)}`;
    }
  }
  return undefined;
}

interface RecoveryRun {
  totalMs: number;
  killedAtMs?: number;
  /** Kill -> the restored run's `started` event. */
  restoreStartMs?: number;
  killedAfterCheckpoint?: number;
  restoredFrom?: number | null;
  checkpoints: number;
  restores: number;
  out: Batch[];
}

export const cluster: BenchSuite = {
  name: 'cluster',
  description: 'cluster executor on the reference workload: throughput of 2 and 1 loopback nodes vs local, and recovery after a SIGKILL',
  async run(ctx: SuiteContext): Promise<SuiteResult> {
    const suiteStart = nowMs();
    const events = ctx.events ?? DEFAULT_EVENTS;
    const reps = ctx.reps;
    const recoveryReps = process.env.BENCH_CLUSTER_RECOVERY_REPS ? Math.max(1, Number(process.env.BENCH_CLUSTER_RECOVERY_REPS)) : reps;
    const mode = process.env.BENCH_CLUSTER_RECOVERY ?? 'restart';
    if (mode !== 'restart' && mode !== 'shrink') throw new Error(`BENCH_CLUSTER_RECOVERY must be restart or shrink, got ${mode}`);
    ctx.log(`generating ${events.toLocaleString('en-US')} events`);
    const w = generateReference({ events });
    const batches = referenceBatches(w, BATCH_ROWS);
    const warm = referenceBatches(w, BATCH_ROWS, w.dictionary, Math.min(events, 200_000));
    const compiled = compile();
    const local = createExecutor('local');

    const runLocal = async (bs: readonly Batch[]): Promise<Batch[]> => {
      const out: Batch[] = [];
      await local.run(compiled, createRuntime(), { events: bs }, (table, b) => {
        if (table === 'events') out.push(b);
      });
      return out;
    };

    ctx.log(`starting a LocalCluster of 2 nodes (${mode} on loss)`);
    const nodeLines: string[] = [];
    const startupStart = nowMs();
    const lc = await LocalCluster.start({ nodes: 2, restart: mode === 'restart', onNodeLog: (n, l) => nodeLines.push(`${n}: ${l}`) });
    const startupMs = nowMs() - startupStart;
    ctx.log(`cluster up in ${(startupMs / 1000).toFixed(1)} s`);
    const coordinator = lc.coordinator;

    const runCluster = async (bs: readonly Batch[], nodes: number, more: Partial<ClusterJob> = {}): Promise<{ out: Batch[]; checkpoints: number; restores: number; restoredFrom: number[] }> => {
      const out: Batch[] = [];
      const s = await coordinator.run({
        compiled,
        runtime: createRuntime(),
        open: (from?: Readonly<Record<string, SourceOffset>>) => ({ events: from === undefined ? bs : fromRow(bs, from.events?.rows ?? 0) }),
        onOutput: (table, b) => {
          if (table === 'events') out.push(b);
        },
        nodes,
        ...more,
      });
      return { out, checkpoints: s.checkpoints, restores: s.restores, restoredFrom: s.restoredFrom };
    };

    try {
      // Warm-up (JIT in this process and in the node processes), untimed.
      ctx.log('warm-up');
      await runLocal(warm);
      await runCluster(warm, 2);
      await runCluster(warm, 1);

      // 1. Throughput.
      const labels = ['local', 'cluster 2 nodes', 'cluster 1 node'] as const;
      const runs = new Map<string, number[]>(labels.map((l) => [l, []]));
      const others = new Map<string, number[]>(labels.map((l) => [l, []]));
      const checkpointsPerRun = new Map<string, number[]>(labels.map((l) => [l, []]));
      const verification: Record<string, unknown> = {};
      let reference: Batch[] | undefined;
      for (let r = 0; r < reps; r++) {
        for (const label of labels) {
          collectGarbage();
          ctx.log(`rep ${r + 1}/${reps}: ${label}`);
          if (label === 'local') {
            const t = await timedWithLoad(() => runLocal(batches));
            runs.get(label)!.push(t.ms);
            others.get(label)!.push(t.otherCores);
            reference ??= t.value;
            continue;
          }
          const t = await timedWithLoad(() => runCluster(batches, label === 'cluster 2 nodes' ? 2 : 1));
          runs.get(label)!.push(t.ms);
          others.get(label)!.push(t.otherCores);
          checkpointsPerRun.get(label)!.push(t.value.checkpoints);
          if (r === 0) verification[label] = { ok: compareOutputs(t.value.out, reference!) === undefined, detail: compareOutputs(t.value.out, reference!) ?? 'identical to local' };
        }
      }

      // 2. Recovery.
      const store = new CheckpointStore(join(ctx.scratchDir, 'data'), 'bench_cluster');
      const everyRows = Math.max(BATCH_ROWS, Math.floor(events / 5));
      const killAtRows = Math.floor(events * 0.4);
      /** One run with checkpoints; with `killAfterMs`, node-1 is SIGKILLed at the first checkpoint past 40% of the events, or after that long, whichever comes first. */
      const recoveryRun = async (killAfterMs?: number): Promise<RecoveryRun> => {
        const start = nowMs();
        let killedAt: number | undefined;
        let killedAfter: number | undefined;
        let lastCheckpoint: number | undefined;
        let restoredAt: number | undefined;
        let restoredFrom: number | null | undefined;
        const killedPid = lc.pidOf(VICTIM);
        const killNow = () => {
          if (killedAt !== undefined) return;
          lc.kill(VICTIM, 'SIGKILL');
          killedAt = nowMs();
          killedAfter = lastCheckpoint;
        };
        const timer = killAfterMs === undefined ? undefined : setTimeout(killNow, killAfterMs);
        const onEvent = (e: ClusterEvent) => {
          if (e.type === 'checkpoint') {
            lastCheckpoint = e.id;
            if (killAfterMs !== undefined && e.rows >= killAtRows) killNow();
          } else if (killedAt !== undefined && restoredAt === undefined && e.type === 'started') {
            restoredAt = nowMs();
            restoredFrom = e.restoredFrom ?? null;
          }
        };
        let res: Awaited<ReturnType<typeof runCluster>>;
        try {
          res = await runCluster(batches, 2, {
            checkpoints: store,
            barrier: { everyRows },
            flow: RECOVERY_FLOW,
            onEvent,
            ...(mode === 'shrink' && { waitForNodesMs: 0 }),
          });
        } finally {
          clearTimeout(timer);
        }
        const totalMs = nowMs() - start;
        if (killedAt !== undefined) {
          // Once the killed process's exit was handled (it is no longer a member), wait for the
          // replacement (restart) or start one (shrink), so the next run has 2 nodes again.
          await waitUntil(() => lc.pidOf(VICTIM) !== killedPid, 10_000);
          if (mode === 'shrink') lc.startNode(VICTIM);
          await waitUntil(() => coordinator.memberIds.includes(VICTIM), 60_000);
        }
        return {
          totalMs,
          ...(killedAt !== undefined && { killedAtMs: killedAt - start, ...(killedAfter !== undefined && { killedAfterCheckpoint: killedAfter }) }),
          ...(restoredAt !== undefined && { restoreStartMs: restoredAt - killedAt!, restoredFrom }),
          checkpoints: res.checkpoints,
          restores: res.restores,
          out: res.out,
        };
      };
      const undisturbed: RecoveryRun[] = [];
      const killed: RecoveryRun[] = [];
      for (let r = 0; r < recoveryReps; r++) {
        collectGarbage();
        ctx.log(`recovery rep ${r + 1}/${recoveryReps}: undisturbed`);
        const u = await recoveryRun();
        undisturbed.push(u);
        collectGarbage();
        ctx.log(`recovery rep ${r + 1}/${recoveryReps}: SIGKILL ${VICTIM} (${mode})`);
        const k = await recoveryRun(u.totalMs / 2);
        if (k.killedAtMs === undefined) throw new Error('recovery: the run ended before the kill');
        ctx.log(
          `  killed ${(k.killedAtMs / 1000).toFixed(1)} s in (${k.killedAfterCheckpoint === undefined ? 'no checkpoint complete yet' : `checkpoint ${k.killedAfterCheckpoint} complete`}), ` +
            (k.restoreStartMs === undefined
              ? 'but no restored run started (the run had all it needed from the node)'
              : `restored run started ${(k.restoreStartMs / 1000).toFixed(2)} s later from ${k.restoredFrom === null ? 'the start' : `checkpoint ${k.restoredFrom}`}`) +
            `, total ${(k.totalMs / 1000).toFixed(1)} s (undisturbed ${(u.totalMs / 1000).toFixed(1)} s)`,
        );
        killed.push(k);
        if (r === 0) {
          const d = compareOutputs(k.out, reference!);
          verification['recovery (SIGKILL)'] = { ok: d === undefined, detail: d ?? 'identical to local' };
          const u = compareOutputs(undisturbed[0]!.out, reference!);
          verification['recovery (undisturbed)'] = { ok: u === undefined, detail: u ?? 'identical to local' };
        }
        k.out = [];
        undisturbed.at(-1)!.out = [];
      }
      reference = undefined;

      const contenders: Record<string, ContenderResult> = {};
      for (const label of labels) {
        contenders[label] = contender(label, runs.get(label)!, events, 'events', {
          extra: { otherCoresPerRun: others.get(label)!.map((x) => round(x, 2)), ...(label !== 'local' && { checkpointsPerRun: checkpointsPerRun.get(label) }) },
        });
      }
      contenders['cluster start-up'] = contender('cluster start-up', [startupMs], 1, 'start-ups', {
        notes: ['LocalCluster.start({ nodes: 2 }): spawn 2 `tributary node` processes and wait until both joined; measured once, not part of the throughput runs'],
      });
      contenders['recovery: undisturbed'] = contender('recovery: undisturbed', undisturbed.map((x) => x.totalMs), events, 'events', {
        extra: { checkpointsPerRun: undisturbed.map((x) => x.checkpoints) },
      });
      contenders['recovery: SIGKILL'] = contender(`recovery: SIGKILL ${VICTIM}`, killed.map((x) => x.totalMs), events, 'events', {
        extra: {
          killedAtMs: killed.map((x) => round(x.killedAtMs!, 1)),
          killedAfterCheckpoint: killed.map((x) => x.killedAfterCheckpoint ?? null),
          restoreStartMs: killed.map((x) => (x.restoreStartMs === undefined ? null : round(x.restoreStartMs, 1))),
          restoredFrom: killed.map((x) => x.restoredFrom),
          checkpointsPerRun: killed.map((x) => x.checkpoints),
          restoresPerRun: killed.map((x) => x.restores),
        },
      });
      const restoreDelays = killed.flatMap((x) => (x.restoreStartMs === undefined ? [] : [x.restoreStartMs]));
      if (restoreDelays.length > 0) {
        contenders['recovery: kill -> restored run started'] = contender('recovery: kill -> restored run started', restoreDelays, 1, 'restores', {
          notes: [
            mode === 'restart' ? 'includes the start-up of the replacement node process (restart: true)' : 'the run shrinks to the node left (no replacement, waitForNodesMs 0)',
            ...(restoreDelays.length < killed.length ? [`${killed.length - restoreDelays.length} SIGKILL run(s) needed no restore (the node had sent all it had to)`] : []),
          ],
        });
      }

      const rate = (l: string) => contenders[l]!.perSecond;
      const ratios: Record<string, number> = {
        'cluster 2 nodes / local': round(rate('cluster 2 nodes') / rate('local')),
        'cluster 1 node / local': round(rate('cluster 1 node') / rate('local')),
        'cluster 2 nodes / cluster 1 node': round(rate('cluster 2 nodes') / rate('cluster 1 node')),
        'SIGKILL run time / undisturbed run time': round(median(killed.map((x) => x.totalMs)) / median(undisturbed.map((x) => x.totalMs))),
      };
      return {
        workload: {
          events,
          keys: w.options.keys,
          spanHours: w.options.spanMs / 3_600_000,
          batchRows: BATCH_ROWS,
          feature: '1h sliding count/sum/mean',
          cores: availableParallelism(),
          recovery: { mode, reps: recoveryReps, checkpointEveryRows: everyRows, killAfterRows: killAtRows, flowRowsPerNode: RECOVERY_FLOW.rows, victim: VICTIM, checkpointStore: 'disk (scratch dir)' },
        },
        contenders,
        ratios,
        verification,
        notes: [
          'Throughput: coordinator.run over in-memory 64k-row batches (no event log, no output files); node processes on loopback, started once (see "cluster start-up").',
          'cluster 1 node: the same 2-node cluster with nodes: 1; the second node is idle.',
          `Recovery (${mode}): undisturbed and SIGKILL runs alternate; both checkpoint to disk every ${everyRows} rows with at most ${RECOVERY_FLOW.rows} rows in flight per node.`,
          'On this machine the coordinator and the node processes share the cores: with 2 cores, 2 nodes plus the coordinator oversubscribe them.',
        ],
        wallMs: round(nowMs() - suiteStart, 1),
      };
    } catch (err) {
      if (nodeLines.length > 0) ctx.log(`node output (last lines):\n${nodeLines.slice(-20).join('\n')}`);
      throw err;
    } finally {
      await lc.close();
    }
  },
};
