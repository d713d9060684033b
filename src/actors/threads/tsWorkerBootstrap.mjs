// Entry of a worker thread that runs a TypeScript module: tsx's loader is registered inside the
// worker first (on Node 20, `execArgv: ['--import', 'tsx']` does not reach a worker's own module
// loading), then the module named by workerData is imported.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__tributaryModule);
