import { join } from 'node:path';
import { startOnlineServer, type OnlineServer } from '../../actors/online/onlineServer.js';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { registryFor } from '../../sdk/replay.js';
import { FeatureStore } from '../../store/features/featureStore.js';

export interface ServeFlags {
  /** ZeroMQ endpoint to bind (default: the config's `online.zmq`). */
  zmq?: string;
  /** HTTP port (default: the config's `online.http`). */
  http?: string;
  /** HTTP interface (default 127.0.0.1). */
  host?: string;
}

export interface ServeControl {
  /** Stop serving when this aborts (default: on SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** Called once the endpoints are up (tests use it to learn the ports). */
  onListening?: (server: OnlineServer) => void;
}

/**
 * `tributary serve <config>`: serve the latest feature vectors of the feature store in
 * `<data_dir>/store` (filled by `tributary replay`) over ZeroMQ and HTTP, until interrupted.
 * A live run serves its own store while it appends; this serves what is on disk.
 *
 * Wire it in main.ts:
 *   program.command('serve').argument('<config>', 'feature-set YAML').description('serve latest feature vectors over ZeroMQ and HTTP')
 *     .option('--zmq <endpoint>', 'ZeroMQ endpoint to bind (default: online.zmq of the config)')
 *     .option('--http <port>', 'HTTP port (default: online.http of the config)')
 *     .option('--host <host>', 'HTTP interface (default 127.0.0.1)')
 *     .action((file: string, flags) => run(() => serveCommand(file, flags, out))());
 *
 * @example
 * // tributary serve configs/payments.yaml --zmq tcp://127.0.0.1:5560 --http 8080
 * // curl 'http://127.0.0.1:8080/features?card_id=c1'
 */
export async function serveCommand(file: string, flags: ServeFlags, out: (line: string) => void, control: ServeControl = {}): Promise<number> {
  const config = loadConfig(file);
  const compiled = compileFeatureSet(config, await registryFor(config));
  const zmq = flags.zmq ?? config.online.zmq;
  const httpText = flags.http ?? (config.online.http === undefined ? undefined : String(config.online.http));
  const http = httpText === undefined ? undefined : Number(httpText);
  if (http !== undefined && !(Number.isInteger(http) && http >= 0 && http <= 65535)) throw new Error(`--http "${httpText}" is not a port number`);
  if (zmq === undefined && http === undefined) {
    throw new Error(`nothing to serve on: give --zmq <endpoint> or --http <port>, or set online: { zmq, http } in ${file}`);
  }
  const dir = join(config.dataDir, 'store');
  const store = await FeatureStore.open(dir);
  const missing = compiled.tables.filter((t) => !store.has(t.name)).map((t) => t.name);
  if (missing.length === compiled.tables.length) throw new Error(`the feature store in ${dir} holds none of ${config.name}'s tables: run \`tributary replay ${file}\` first`);
  if (missing.length > 0) out(`warning: the store has no rows for ${missing.join(', ')} yet; their features are served as defaults or null`);

  const server = await startOnlineServer(store, compiled, {
    ...(zmq !== undefined && { zmq }),
    ...(http !== undefined && { http }),
    ...(flags.host !== undefined && { host: flags.host }),
  });
  const rows = Object.values(store.stats()).reduce((n, s) => n + s.rows, 0);
  out(`serving ${config.name}: ${server.fetcher.features().length} features, ${rows} rows in ${compiled.tables.length} tables`);
  if (server.zmq !== undefined) out(`  zeromq  ${server.zmq}`);
  if (server.http !== undefined) out(`  http    http://${flags.host ?? '127.0.0.1'}:${server.http}/features?<key>=<value>   (GET /healthz)`);
  control.onListening?.(server);

  await new Promise<void>((resolve) => {
    if (control.signal !== undefined) {
      if (control.signal.aborted) return resolve();
      control.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  out('stopped');
  return 0;
}
