import { parseDuration } from '../../pipelines/data/duration.js';
import { runNode } from '../../actors/cluster/node.js';
import { PORTS } from '../../actors/deploy/ports.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';

export interface NodeFlags {
  id: string;
  coordinator: string;
  advertise?: string;
  dataPort?: string;
  dataBind?: string;
  onlinePort?: string;
  healthPort?: string;
  dataDir?: string;
  curveDir?: string;
  joinTimeout?: string;
}

const port = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} "${v}" is not a port`);
  return n;
};

/**
 * `tributary node`: an actor node process. It joins the coordinator, gets its key groups, the
 * feature set and any state to restore from it, and runs until the coordinator stops it or it
 * receives SIGTERM/SIGINT; then it tells the coordinator it leaves, so its key groups are restored
 * on the other nodes at once rather than after its heartbeats time out. The config argument (the
 * pods' ConfigMap) is only checked: the coordinator's copy is the one that runs, so every node runs
 * the same pipeline.
 */
export async function nodeCommand(file: string | undefined, flags: NodeFlags, out: (line: string) => void): Promise<number> {
  if (file !== undefined) loadConfig(file);
  const dataPort = port('data-port', flags.dataPort) ?? PORTS.data;
  const healthPort = port('health-port', flags.healthPort);
  port('online-port', flags.onlinePort);
  let joinTimeoutMs: number | undefined;
  if (flags.joinTimeout !== undefined) joinTimeoutMs = parseDuration(flags.joinTimeout);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await runNode({
      id: flags.id,
      coordinator: flags.coordinator,
      dataBind: flags.dataBind ?? `tcp://0.0.0.0:${dataPort}`,
      ...(flags.advertise !== undefined && { advertise: flags.advertise }),
      ...(healthPort !== undefined && { healthPort }),
      ...(flags.curveDir !== undefined && { curveDir: flags.curveDir }),
      ...(joinTimeoutMs !== undefined && { joinTimeoutMs }),
      log: (line) => process.stderr.write(`${line}\n`),
      signal: stop.signal,
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  out(`node ${flags.id} stopped`);
  return 0;
}
