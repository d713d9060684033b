import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { FeatureStore } from '../../store/features/featureStore.js';
import { serveHttp, type HttpEndpoint } from './httpEndpoint.js';
import { OnlineFetcher, type OnlineFetcherOptions } from './onlineFetcher.js';
import { serveZmq, type ZmqEndpoint } from './zmqEndpoint.js';

export interface OnlineServerOptions extends OnlineFetcherOptions {
  /** ZeroMQ endpoint to bind, e.g. `tcp://127.0.0.1:5560` (`:*` picks a free port). The config's `online.zmq`. */
  zmq?: string;
  /** HTTP port (0 picks a free one). The config's `online.http`. */
  http?: number;
  /** HTTP interface (default 127.0.0.1). */
  host?: string;
}

export interface OnlineServer {
  readonly fetcher: OnlineFetcher;
  /** The bound ZeroMQ endpoint, when one was asked for. */
  readonly zmq?: string;
  /** The HTTP port, when one was asked for. */
  readonly http?: number;
  close(): Promise<void>;
}

/**
 * Serve a store's latest feature vectors over ZeroMQ and/or HTTP. Run it in the process that appends
 * to the store (a live run), so that every append is visible to the next fetch; `tributary serve`
 * runs it over a store on disk.
 *
 * @example
 * const server = await startOnlineServer(store, compiled, { zmq: 'tcp://127.0.0.1:5560', http: 8080 });
 * const client = await OnlineClient.connect(server.zmq!);
 * await client.fetch({ card_id: 'c1' });
 * await server.close();
 */
export async function startOnlineServer(store: FeatureStore, compiled: CompiledFeatureSet, opts: OnlineServerOptions = {}): Promise<OnlineServer> {
  if (opts.zmq === undefined && opts.http === undefined) throw new Error('the online server needs a ZeroMQ endpoint or an HTTP port (online: { zmq, http } in the config)');
  const fetcher = await OnlineFetcher.create(store, compiled, opts);
  let zmq: ZmqEndpoint | undefined;
  let http: HttpEndpoint | undefined;
  try {
    if (opts.zmq !== undefined) zmq = await serveZmq(fetcher, opts.zmq);
    if (opts.http !== undefined) {
      http = await serveHttp(fetcher, opts.http, {
        ...(opts.host !== undefined && { host: opts.host }),
        ...(opts.limits !== undefined && { limits: opts.limits }),
        health: () => ({ feature_set: compiled.config.name, tables: store.stats(), ...(zmq && { zmq: zmq.endpoint, served: zmq.served }) }),
      });
    }
  } catch (err) {
    await zmq?.close();
    throw err;
  }
  return {
    fetcher,
    ...(zmq && { zmq: zmq.endpoint }),
    ...(http && { http: http.port }),
    async close() {
      await Promise.all([zmq?.close(), http?.close()]);
    },
  };
}
