/**
 * What a benchmark suite is: one file under bench/suites/ exporting a `BenchSuite`, listed once in
 * bench/suites/index.ts. `bench/run.ts` runs the selected suites in order and writes every result
 * into bench/results/latest.json.
 */

/** One measured contender of a suite. */
export interface ContenderResult {
  /** Short label, e.g. "hand loop", "tributary", "duckdb". */
  label: string;
  /** Every timed repetition, ms, in run order. */
  runsMs: number[];
  medianMs: number;
  /** Events (or operations) per second at the median time. */
  perSecond: number;
  /** The fastest run, and the rate it gives: less sensitive to a noisy neighbour than the median. */
  bestMs: number;
  bestPerSecond: number;
  /** Median over the runs during which the rest of the machine was quiet (see QUIET_CORES), when there were any. */
  quietRuns?: number;
  quietMedianMs?: number;
  quietPerSecond?: number;
  /** What `perSecond` counts ("events", "lookups"...). */
  unit: string;
  /** Free-form details: the frame used, phases timed separately, and so on. */
  notes?: string[];
  extra?: Record<string, unknown>;
}

/** A performance target and whether this run met it. */
export interface TargetResult {
  name: string;
  /** The target, stated like the issue states it: ">= 3x duckdb". */
  target: string;
  /** The measured value the target is about (a ratio, a latency...). */
  actual: number;
  threshold: number;
  met: boolean;
}

export interface SuiteResult {
  /** Parameters of the workload actually run (after BENCH_* scaling). */
  workload: Record<string, unknown>;
  contenders: Record<string, ContenderResult>;
  ratios?: Record<string, number>;
  targets?: TargetResult[];
  /** Correctness checks done inside the bench, so it can't silently measure a broken path. */
  verification?: Record<string, unknown>;
  notes?: string[];
  /** Wall time of the whole suite, setup included, ms. */
  wallMs?: number;
  /** Average cores used during the suite by the bench, by the rest of the machine, and stolen (set by run.ts). */
  machineLoad?: { ownCores: number; otherCores: number; stolenCores: number };
}

export interface SuiteContext {
  /** Events for the suite's main workload, from BENCH_EVENTS (suites choose their own default). */
  events: number | undefined;
  /** Timed repetitions per contender, from BENCH_REPS. */
  reps: number;
  /** Progress lines go here (stderr), never into the results. */
  log(msg: string): void;
  /** A scratch directory for this suite, removed after the run unless BENCH_KEEP is set. */
  scratchDir: string;
}

export interface BenchSuite {
  /** Key in latest.json and name for BENCH_SUITES. */
  name: string;
  description: string;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}
