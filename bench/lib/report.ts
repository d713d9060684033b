import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { ContenderResult, SuiteResult } from './suite.js';
import { median } from './timing.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  totalMemGiB: number;
  freeMemGiB: number;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    totalMemGiB: round(totalmem() / 2 ** 30, 1),
    freeMemGiB: round(freemem() / 2 ** 30, 1),
  };
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A run counts as quiet when the rest of the machine used at most this many cores meanwhile. */
export const QUIET_CORES = 0.25;

/** A contender result from its timed runs: the median time and the rate it gives for `count` units. */
export function contender(label: string, runsMs: readonly number[], count: number, unit = 'events', more: Partial<ContenderResult> = {}): ContenderResult {
  const med = median(runsMs);
  const best = Math.min(...runsMs);
  // Runs during which the rest of the machine stayed under QUIET_CORES: the cleanest evidence on a shared box.
  const others = more.extra?.otherCoresPerRun as number[] | undefined;
  const quiet = others === undefined ? [] : runsMs.filter((_, i) => (others[i] ?? Infinity) <= QUIET_CORES);
  const quietMed = median(quiet);
  return {
    label,
    runsMs: runsMs.map((x) => round(x, 1)),
    medianMs: round(med, 1),
    perSecond: Math.round((count / med) * 1000),
    bestMs: round(best, 1),
    bestPerSecond: Math.round((count / best) * 1000),
    ...(quiet.length > 0 && { quietRuns: quiet.length, quietMedianMs: round(quietMed, 1), quietPerSecond: Math.round((count / quietMed) * 1000) }),
    unit,
    ...more,
  };
}

/** `12.3M/s`, `950k/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(1)}/s`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** A short plain-text table of one suite's result. */
export function formatSuite(name: string, r: SuiteResult): string {
  const lines: string[] = [];
  lines.push(`== ${name} ${JSON.stringify(r.workload)}`);
  const rows = Object.values(r.contenders).map((c) => [
    c.label,
    `${c.medianMs.toFixed(1)} ms`,
    formatRate(c.perSecond),
    formatRate(c.bestPerSecond),
    c.quietPerSecond === undefined ? '-' : `${formatRate(c.quietPerSecond)} (${c.quietRuns})`,
    c.runsMs.map((x) => x.toFixed(0)).join(' '),
  ]);
  const head = ['contender', 'median', 'rate (median)', 'rate (best)', 'rate (quiet runs)', 'runs (ms)'];
  const numeric = (i: number) => i >= 1 && i <= 4;
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  lines.push(head.map((h, i) => pad(h, w[i]!, numeric(i))).join('  '));
  for (const row of rows) lines.push(row.map((c, i) => pad(c, w[i]!, numeric(i))).join('  '));
  if (r.ratios) lines.push(`ratios: ${Object.entries(r.ratios).map(([k, v]) => `${k}=${v.toFixed(3)}`).join('  ')}`);
  for (const t of r.targets ?? []) lines.push(`target ${t.name} (${t.target}): ${t.actual.toFixed(3)} -> ${t.met ? 'MET' : 'NOT MET'}`);
  const ok = Object.entries(r.verification ?? {}).map(([k, v]) => `${k}=${(v as { ok?: boolean }).ok === false ? 'FAILED' : 'ok'}`);
  if (ok.length > 0) lines.push(`verification: ${ok.join('  ')}`);
  for (const [k, v] of Object.entries(r.verification ?? {})) if ((v as { ok?: boolean }).ok === false) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  const others = Object.values(r.contenders).flatMap((c) => (c.extra?.otherCoresPerRun as number[] | undefined) ?? []);
  if (others.length > 0) lines.push(`other load during timed runs: max ${Math.max(...others).toFixed(2)} cores, mean ${(others.reduce((a, b) => a + b, 0) / others.length).toFixed(2)} (see otherCoresPerRun)`);
  return lines.join('\n');
}

/** Write JSON atomically (temp file, then rename), creating the folder. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}
