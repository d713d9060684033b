import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOTSTRAP = new URL('./tsWorkerBootstrap.mjs', import.meta.url);

/**
 * A worker thread running a .ts module: it starts from a small .mjs bootstrap that registers tsx's
 * loader inside the worker, then imports the module (its URL travels in workerData, beside the
 * caller's own workerData fields). A .js module is started directly.
 */
export function startModuleWorker(module: URL, opts: WorkerOptions = {}): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, opts);
  const data = { ...(opts.workerData as Record<string, unknown> | undefined), __tributaryModule: module.href };
  return new Worker(BOOTSTRAP, { ...opts, workerData: data });
}
