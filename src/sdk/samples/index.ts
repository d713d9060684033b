import { mkdir } from 'node:fs/promises';
import { generateMarket } from './market.js';
import { generatePayments } from './payments.js';
import { generateUserEvents } from './userEvents.js';

/**
 * Deterministic, seeded sample data for the three domains Tributary must handle end to end (see
 * DESIGN.md): market data, user events and payments. Each domain has a config in `configs/<domain>.yaml`
 * that reads these files from `data/samples/<domain>/`.
 *
 * The data is simulated, not random noise: each domain plants the signal its label is about (order-flow
 * imbalance before mid-price moves, /bug before churn, failed-login bursts and outsized amounts before
 * fraud), so the models trained in examples and tests have something real to learn. The generator doc
 * comments (market.ts, userEvents.ts, payments.ts) describe each model and its file layouts.
 */

export type SampleDomain = 'market' | 'user_events' | 'payments';

export const SAMPLE_DOMAINS: readonly SampleDomain[] = ['market', 'user_events', 'payments'];

/** 2024-01-01T00:00:00Z: a fixed default start, so that output never depends on the clock. */
export const DEFAULT_SAMPLE_START = Date.UTC(2024, 0, 1);
export const DEFAULT_SAMPLE_SEED = 1;

export interface SampleOptions {
  /** PRNG seed (32-bit); default 1. The same seed, scale and start give byte-identical files. */
  seed?: number;
  /**
   * Size multiplier, default 1 (roughly 150k-300k events per domain, each generated in about a second).
   * Market data scales its time span (3 h at 1); user events and payments scale their populations.
   */
  scale?: number;
  /** First event time, epoch ms; default {@link DEFAULT_SAMPLE_START}. */
  start?: number;
  /** Called now and then with the number of rows written so far, across the domain's files. */
  onProgress?: (rows: number) => void;
}

export interface SampleResult {
  /** Every file written, with its number of data rows (CSV headers not counted). */
  files: { path: string; rows: number }[];
}

/**
 * Generate one domain's sample files into `outDir` (created if missing; existing files are
 * overwritten). Files are written through bounded buffers, so any scale fits in memory.
 *
 * @example
 * import { generateSamples } from './sdk/samples/index.js';
 * const { files } = await generateSamples('payments', 'data/samples/payments', { seed: 7 });
 * // files: transactions.csv, logins.jsonl, fraud_reports.csv with their row counts
 * // then: loadConfig('configs/payments.yaml') reads exactly these files
 */
export async function generateSamples(domain: SampleDomain, outDir: string, opts: SampleOptions = {}): Promise<SampleResult> {
  const seed = opts.seed ?? DEFAULT_SAMPLE_SEED;
  const scale = opts.scale ?? 1;
  const start = opts.start ?? DEFAULT_SAMPLE_START;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be a positive number, got ${scale}`);
  if (!Number.isFinite(start)) throw new RangeError(`start must be epoch milliseconds, got ${start}`);
  await mkdir(outDir, { recursive: true });
  const o = { seed, scale, start, ...(opts.onProgress && { onProgress: opts.onProgress }) };
  switch (domain) {
    case 'market':
      return { files: await generateMarket(outDir, o) };
    case 'user_events':
      return { files: await generateUserEvents(outDir, o) };
    case 'payments':
      return { files: await generatePayments(outDir, o) };
    default:
      throw new Error(`unknown sample domain "${String(domain)}"; domains are ${SAMPLE_DOMAINS.join(', ')}`);
  }
}

export { MARKET_FILES, MARKET_HOURS, MARKET_LATENESS_MS } from './market.js';
export { USER_EVENTS_DAYS, USER_EVENTS_FILES, USER_EVENTS_USERS } from './userEvents.js';
export { FRAUD_REPORT_MAX_DELAY_MS, PAYMENTS_DAYS, PAYMENTS_FILES, PAYMENTS_USERS } from './payments.js';
export { Rng, WeightedPicker } from './random.js';
