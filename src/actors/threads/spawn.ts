import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// The ESM build of tsx's API (the CommonJS one cannot register the loader from an ESM import).
const TSX_API = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');

/**
 * A worker thread running a .ts module. On Node 20, `execArgv: ['--import', 'tsx']` does not reach
 * the worker's own module loading, so a tiny bootstrap registers tsx's loader inside the worker
 * first, then imports the module. A .js module is imported directly.
 */
export function startModuleWorker(module: URL, opts: WorkerOptions = {}): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, opts);
  const bootstrap = `import(${JSON.stringify(TSX_API)}).then((api) => { api.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { ...opts, eval: true });
}
