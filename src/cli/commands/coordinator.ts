import { Coordinator } from '../../actors/cluster/coordinator.js';
import { DEFAULT_FLOW_LIMITS } from '../../actors/cluster/flowControl.js';
import { PORTS } from '../../actors/deploy/ports.js';
import { parseDuration } from '../../pipelines/data/duration.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { replay } from '../../sdk/replay.js';
import { formatReplaySummary } from '../format.js';

export interface CoordinatorFlags {
  bind?: string;
  sinkPort?: string;
  advertise?: string;
  healthPort?: string;
  dataDir?: string;
  curveDir?: string;
  nodes?: string;
  wait?: string;
  checkpointEvery?: string;
  resume?: boolean;
  stopAfterCheckpoint?: string;
  once?: boolean;
  json?: boolean;
  heartbeatTimeout?: string;
  maxInFlightRows?: string;
  restoreWait?: string;
}

const whole = (name: string, v: string | undefined, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} "${v}" must be a whole number of at least ${min}`);
  return n;
};

/**
 * `tributary coordinator <config>`: binds the control socket, waits for `--nodes` actor nodes to
 * join (or those there after `--wait`), and replays the feature set on them, with checkpoints and
 * restores, writing the tables and the store as `tributary replay` does. Then it keeps serving
 * status and health until SIGTERM, unless `--once`.
 */
export async function coordinatorCommand(file: string, flags: CoordinatorFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file, flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {});
  const nodes = whole('nodes', flags.nodes, 1) ?? 2;
  const sinkPort = whole('sink-port', flags.sinkPort, 1) ?? PORTS.sink;
  const healthPort = whole('health-port', flags.healthPort, 0);
  const checkpointEveryRows = whole('checkpoint-every', flags.checkpointEvery, 1);
  const stopAfterCheckpoint = whole('stop-after-checkpoint', flags.stopAfterCheckpoint, 1);
  const maxInFlightRows = whole('max-in-flight-rows', flags.maxInFlightRows, 1);
  const waitMs = flags.wait === undefined ? 60_000 : parseDuration(flags.wait);
  const bind = flags.bind ?? `tcp://0.0.0.0:${PORTS.control}`;
  const host = new URL(bind.replace(/^tcp:/, 'http:').replace(':*', ':0')).hostname;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const coordinator = await Coordinator.start({
    bind,
    sinkBind: `tcp://${host}:${bind.endsWith(':*') ? '*' : sinkPort}`,
    ...(flags.advertise !== undefined && { advertise: flags.advertise }),
    ...(flags.curveDir !== undefined && { curveDir: flags.curveDir }),
    ...(healthPort !== undefined && { healthPort }),
    ...(flags.heartbeatTimeout !== undefined && { heartbeatTimeoutMs: parseDuration(flags.heartbeatTimeout) }),
    log,
  });
  log(`coordinator listening on ${coordinator.endpoint} (sink ${coordinator.sinkEndpoint}); waiting for ${nodes} node(s)`);
  try {
    const summary = await replay(config, {
      executor: 'cluster',
      cluster: {
        coordinator,
        nodes,
        ...(flags.resume && { resume: true }),
        ...(checkpointEveryRows !== undefined && { checkpointEveryRows }),
        ...(stopAfterCheckpoint !== undefined && { stopAfterCheckpoint }),
        waitForNodesMs: waitMs,
        ...(flags.restoreWait !== undefined && { restoreWaitMs: parseDuration(flags.restoreWait) }),
        ...(maxInFlightRows !== undefined && { flow: { ...DEFAULT_FLOW_LIMITS, rows: maxInFlightRows } }),
        onEvent: (e) => {
          if (e.type === 'checkpoint') log(`checkpoint ${e.id} complete: ${e.rows} rows read, ${e.bytes} bytes of state, ${e.ms} ms`);
          else if (e.type === 'lost') log(`restoring: node ${e.node} lost (${e.reason})`);
          else if (e.type === 'started') log(`run ${e.gen} started on ${e.nodes.join(', ')}${e.restoredFrom !== undefined ? ` from checkpoint ${e.restoredFrom}` : ''}`);
        },
      },
    });
    if (summary.stoppedAtCheckpoint !== undefined) out(`stopped at checkpoint ${summary.stoppedAtCheckpoint}: resume with --resume (any number of nodes)`);
    else out(flags.json ? JSON.stringify(summary, null, 2) : formatReplaySummary(summary));
    if (!flags.once) {
      log('done; serving status until SIGTERM');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
    }
  } finally {
    await coordinator.stopNodes('the coordinator is stopping').catch(() => undefined);
    await coordinator.close();
  }
  return 0;
}
