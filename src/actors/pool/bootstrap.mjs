// The file piscina starts in each pool thread (its `filename`). Plain JavaScript on purpose: it must
// load before any TypeScript loader exists in the thread. On Node 20, `execArgv: ['--import', 'tsx']`
// does not reach a worker's own module loading (see src/actors/threads/spawn.ts), so tsx's loader is
// registered here, inside the thread, before the first .ts task module is imported.
//
// A task is `{ module, fn, payload }`: `module` a file URL (.ts or .js), `fn` one of its exports,
// called with `payload`; its result (or its error) goes back to the caller. Modules are imported once
// per thread and cached. `workerData.preload` lists modules to import while the thread starts, so the
// first task does not pay for it.
import { workerData } from 'node:worker_threads';

/** @type {Promise<void> | undefined} */
let tsx;
/** @type {Map<string, Promise<Record<string, unknown>>>} */
const modules = new Map();

function registerTsx() {
  tsx ??= import('tsx/esm/api').then((api) => {
    api.register();
  });
  return tsx;
}

/** @param {string} url */
function load(url) {
  let m = modules.get(url);
  if (m === undefined) {
    const path = new URL(url).pathname;
    const needsTsx = /\.(c|m)?tsx?$/.test(path);
    m = (needsTsx ? registerTsx() : Promise.resolve()).then(() => import(url));
    modules.set(url, m);
  }
  return m;
}

const preload = /** @type {{ preload?: string[] } | undefined} */ (workerData)?.preload ?? [];
// A module that fails to load here is tried again by the first task that needs it, which reports the
// error to its caller: a thread that failed while starting would take no task at all.
await Promise.all(preload.map((url) => load(url).catch(() => modules.delete(url))));

/**
 * @param {{ module: string, fn: string, payload: unknown }} task
 */
export default async function runTask(task) {
  let mod;
  try {
    mod = await load(task.module);
  } catch (err) {
    modules.delete(task.module);
    throw portable(err, `pool task: cannot load ${task.module}: `);
  }
  const fn = mod[task.fn];
  if (typeof fn !== 'function') throw new Error(`pool task: ${task.module} has no exported function "${task.fn}"`);
  try {
    return await fn(task.payload);
  } catch (err) {
    throw portable(err);
  }
}

const STANDARD = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

/**
 * An error that survives the trip to the caller. Structured clone keeps the message and stack of
 * the standard error types only: Node's own errors (ERR_MODULE_NOT_FOUND...) arrive as empty
 * objects, and a subclass (ConfigError) loses its name. Those become an Error of the nearest
 * standard type with the same message and stack (which still starts with the original name).
 * @param {unknown} err
 * @param {string} [prefix]
 */
function portable(err, prefix = '') {
  if (!(err instanceof Error)) return err;
  const Std = STANDARD[/** @type {keyof typeof STANDARD} */ (err.name)] ?? Error;
  if (prefix === '' && Object.getPrototypeOf(err) === Std.prototype) return err;
  const e = new Std(prefix + err.message);
  e.stack = prefix === '' ? err.stack : `${e.name}: ${e.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
  return e;
}
