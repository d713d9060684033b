import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSuite, machineInfo, round, writeJson } from './lib/report.js';
import type { SuiteResult } from './lib/suite.js';
import { cpuLoadBetween, cpuSnapshot, envFlag, envInt, nowMs, peakRssMiB } from './lib/timing.js';

import { SUITES } from './suites/index.js';

/**
 * `npm run bench`: run the benchmark suites and write bench/results/latest.json.
 *
 * Environment:
 *   BENCH_EVENTS   events of each suite's main workload (default: the suite's own, 10M for slidingReference)
 *   BENCH_REPS     timed repetitions per contender (default 5); the median is reported
 *   BENCH_SUITES   comma-separated suite names to run (default: all)
 *   BENCH_OUT      where to write the JSON (default bench/results/latest.json)
 *   BENCH_KEEP     keep the suites' scratch directories
 * plus suite-specific ones (slidingReference: BENCH_CONTENDERS=hand,tributary,duckdb, BENCH_REPLAY=0,
 * BENCH_REPLAY_REPS, BENCH_DUCKDB_THREADS).
 */
async function main(): Promise<void> {
  const started = nowMs();
  const date = new Date().toISOString();
  const events = process.env.BENCH_EVENTS ? envInt('BENCH_EVENTS', 1) : undefined;
  const reps = envInt('BENCH_REPS', 5);
  const keep = envFlag('BENCH_KEEP', false);
  const selected = process.env.BENCH_SUITES?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = selected?.filter((s) => !SUITES.some((x) => x.name === s)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; suites are ${SUITES.map((s) => s.name).join(', ')}`);
  const suites = SUITES.filter((s) => selected === undefined || selected.includes(s.name));
  const out = process.env.BENCH_OUT ?? join(import.meta.dirname, 'results', 'latest.json');

  const machine = machineInfo();
  process.stderr.write(`bench: ${date}, ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, reps ${reps}${events ? `, events ${events}` : ''}\n`);
  const results: Record<string, SuiteResult | { error: string }> = {};
  const runStart = cpuSnapshot();
  const loadavgAtStart = loadavg().map((x) => round(x, 2));
  for (const suite of suites) {
    const scratchDir = mkdtempSync(join(tmpdir(), `tributary-bench-${suite.name}-`));
    const log = (msg: string) => process.stderr.write(`[${suite.name} ${((nowMs() - started) / 1000).toFixed(1)}s] ${msg}\n`);
    try {
      const before = cpuSnapshot();
      const r = await suite.run({ events, reps, log, scratchDir });
      r.machineLoad = cpuLoadBetween(before, cpuSnapshot());
      results[suite.name] = r;
      process.stdout.write(`\n${formatSuite(suite.name, r)}\n`);
    } catch (err) {
      const e = err as Error;
      results[suite.name] = { error: e.stack ?? e.message };
      process.stderr.write(`suite ${suite.name} failed: ${e.stack ?? e.message}\n`);
    } finally {
      if (!keep) rmSync(scratchDir, { recursive: true, force: true });
    }
  }

  const report = {
    date,
    machine,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
    reps,
    suites: results,
    peakRssMiB: round(peakRssMiB(), 1),
    // Average cores used by this process, by everything else on the machine, and stolen by the hypervisor.
    machineLoad: { ...cpuLoadBetween(runStart, cpuSnapshot()), loadavgAtStart, loadavgAtEnd: loadavg().map((x) => round(x, 2)) },
    totalSeconds: round((nowMs() - started) / 1000, 1),
  };
  writeJson(out, report);
  const ml = report.machineLoad;
  process.stdout.write(`\npeak RSS ${report.peakRssMiB.toFixed(0)} MiB, total ${report.totalSeconds}s, cores used: bench ${ml.ownCores}, rest of machine ${ml.otherCores}, stolen ${ml.stolenCores} -> ${out}\n`);
  if (Object.values(results).some((r) => 'error' in r)) process.exitCode = 1;
}

await main();
