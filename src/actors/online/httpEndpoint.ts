import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorReply } from './onlineFetcher.js';
import { checkFetchRequest, DEFAULT_LIMITS, RequestError, type RequestLimits } from './request.js';
import type { RequestHandler } from './zmqEndpoint.js';

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export interface HttpEndpointOptions {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 to serve other hosts, as in a pod). */
  host?: string;
  limits?: Partial<RequestLimits>;
  /** What `GET /healthz` reports besides `ok: true`. */
  health?: () => Record<string, unknown>;
}

/** Query parameters that are not key columns. */
const RESERVED = new Set(['features', 'now', 'id']);

/**
 * The online fetch endpoint over HTTP, for convenience (curl, dashboards, health checks):
 *
 * - `GET /features?card_id=c1&user_id=u9&features=spend_30d,amount_z&now=...`: every parameter
 *   other than `features`, `now` and `id` is a key column; repeat the key parameters for several
 *   keys (`?card_id=c1&card_id=c2`);
 * - `POST /features` with the JSON body of a ZeroMQ request;
 * - `GET /healthz`: `{ "ok": true, ... }`.
 *
 * Replies are JSON, with 400 for a bad request, 413 for an oversized one, 404 and 405 for a wrong
 * path or method.
 *
 * @example
 * const http = await serveHttp(fetcher, 8080);
 * // curl 'http://127.0.0.1:8080/features?card_id=c1'
 * await http.close();
 */
export async function serveHttp(handler: RequestHandler, port: number, opts: HttpEndpointOptions = {}): Promise<HttpEndpoint> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, JSON.stringify({ error: 'use GET /healthz' }));
        return send(res, 200, JSON.stringify({ ok: true, ...opts.health?.() }));
      }
      if (url.pathname !== '/features') return send(res, 404, JSON.stringify({ error: `no such path ${url.pathname}: use GET or POST /features, or GET /healthz` }));
      if (req.method === 'GET') {
        const reply = handler.handle(JSON.stringify(getRequest(url.searchParams, limits)));
        return send(res, reply.status, reply.body);
      }
      if (req.method !== 'POST') return send(res, 405, JSON.stringify({ error: `use GET or POST /features, not ${req.method}` }));
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > limits.maxRequestBytes) {
        req.resume();
        return send(res, 413, JSON.stringify({ error: `the request is ${declared} bytes, over the limit of ${limits.maxRequestBytes}` }));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > limits.maxRequestBytes) {
          refused = true;
          send(res, 413, JSON.stringify({ error: `the request is over the limit of ${limits.maxRequestBytes} bytes` }));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (refused) return;
        const reply = handler.handle(Buffer.concat(chunks));
        send(res, reply.status, reply.body);
      });
      req.on('error', () => res.destroy());
    } catch (err) {
      const e = errorReply(err);
      send(res, e.status, e.body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A GET query as a request object: key parameters (repeated for several keys), `features=a,b`, `now`, `id`. */
export function getRequest(params: URLSearchParams, limits: RequestLimits = DEFAULT_LIMITS): Record<string, unknown> {
  const keyNames = [...new Set([...params.keys()].filter((k) => !RESERVED.has(k)))];
  const counts = keyNames.map((k) => params.getAll(k).length);
  const n = Math.max(0, ...counts);
  if (counts.some((c) => c !== n)) throw new RequestError(`repeat every key parameter the same number of times (${keyNames.map((k, i) => `${k}: ${counts[i]}`).join(', ')})`);
  const entries = Array.from({ length: n }, (_, i) => Object.fromEntries(keyNames.map((k) => [k, params.getAll(k)[i]!])));
  const r: Record<string, unknown> = { keys: n === 1 ? entries[0] : entries };
  const features = params.get('features');
  if (features !== null) r.features = features.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const now = params.get('now');
  if (now !== null) r.now = /^-?\d+(\.\d+)?$/.test(now) ? Number(now) : now;
  const id = params.get('id');
  if (id !== null) r.id = id;
  // Checked here, so that a malformed query gets the same messages as a malformed JSON body.
  checkFetchRequest(r, limits);
  return r;
}
