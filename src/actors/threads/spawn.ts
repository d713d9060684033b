import { Worker, type WorkerOptions } from 'node:worker_threads';
import { configureWorkerHeaps } from '../workerHeap.js';

const BOOTSTRAP = new URL('./tsWorkerBootstrap.mjs', import.meta.url);

/**
 * A worker thread running a .ts module: it starts from a small .mjs bootstrap that registers tsx's
 * loader inside the worker, then imports the module (its URL travels in workerData, beside the
 * caller's own workerData fields). A .js module is started directly. Its heap gets the
 * old-generation headroom of `configureWorkerHeaps`.
 */
export function startModuleWorker(module: URL, opts: WorkerOptions = {}): Worker {
  configureWorkerHeaps();
  if (!module.pathname.endsWith('.ts')) return new Worker(module, opts);
  const data = { ...(opts.workerData as Record<string, unknown> | undefined), __tributaryModule: module.href };
  return new Worker(BOOTSTRAP, { ...opts, workerData: data });
}
