import type { BenchSuite } from '../lib/suite.js';
import { backfillSuite } from './backfill.js';
import { cluster } from './cluster.js';
import { importDecode } from './importDecode.js';
import { labelAssembly } from './labelAssembly.js';
import { liveLatency } from './liveLatency.js';
import { mainJob } from './mainJob.js';
import { onlineFetch } from './onlineFetch.js';
import { poolAssembly } from './poolAssembly.js';
import { slidingReference } from './slidingReference.js';
import { threads } from './threads.js';
import { training } from './training.js';

/**
 * Every benchmark suite, in the order `npm run bench` runs them. To add one: write
 * bench/suites/<name>.ts exporting a BenchSuite, and list it here.
 */
export const SUITES: readonly BenchSuite[] = [
  slidingReference,
  labelAssembly,
  onlineFetch,
  liveLatency,
  training,
  threads,
  poolAssembly,
  backfillSuite,
  importDecode,
  cluster,
  mainJob,
];
