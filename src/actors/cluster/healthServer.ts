import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTH_PATHS } from '../deploy/ports.js';

/** What a process reports on its health endpoints. */
export interface HealthReport {
  /** Ready to do its job (GET /readyz answers 200), and why not when not. */
  ready: boolean;
  detail: Record<string, unknown>;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * GET /healthz (200 while the event loop runs) and GET /readyz (200 when `report().ready`, else
 * 503), both with a JSON body: the probes of the node and coordinator pods (see deploy/ports.ts).
 *
 * @example
 * const health = await serveHealth(7680, () => ({ ready: joined, detail: { node: 'node-0' } }));
 */
export async function serveHealth(port: number, report: () => HealthReport, host = '0.0.0.0'): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const r = report();
    let status = 404;
    let body: Record<string, unknown> = { error: `no such path ${path}` };
    if (req.method !== 'GET') (status = 405), (body = { error: 'only GET' });
    else if (path === HEALTH_PATHS.live) (status = 200), (body = { ok: true, ...r.detail });
    else if (path === HEALTH_PATHS.ready) (status = r.ready ? 200 : 503), (body = { ready: r.ready, ...r.detail });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
