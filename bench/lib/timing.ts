import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Run `fn` once and return its result and how long it took (ms). */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = nowMs();
  const value = await fn();
  return { ms: nowMs() - start, value };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

let gcFn: (() => void) | undefined;

/**
 * Collect garbage between measurements, so one contender's garbage is not billed to the next.
 * `npm run bench` runs plain `node --import tsx`, so `--expose-gc` is switched on from here.
 */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Resident set size now, in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** Integer from an environment variable, accepting `1e6`, `1_000_000` and `1000000`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 1) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return Math.floor(n);
}

/** Boolean from an environment variable: 0/false/no/off are false. */
export function envFlag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return !/^(0|false|no|off)$/i.test(raw.trim());
}

/** System-wide CPU counters and this process's CPU time, to tell how busy the rest of the machine was. */
export interface CpuSnapshot {
  wallMs: number;
  /** Jiffies (1/100 s) of all CPUs busy (user, nice, system, irq, softirq), and stolen by the hypervisor. */
  busyJiffies: number;
  stealJiffies: number;
  /** This process's user + system CPU, µs. */
  ownMicros: number;
}

function readProcStat(): { busy: number; steal: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return { busy: user + nice + system + irq + softirq, steal };
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const s = readProcStat();
  const u = process.cpuUsage();
  return { wallMs: nowMs(), busyJiffies: s?.busy ?? NaN, stealJiffies: s?.steal ?? NaN, ownMicros: u.user + u.system };
}

/**
 * Between two snapshots: how many cores this process used on average, how many the rest of the
 * machine used (other processes, other users of a shared box), and how many the hypervisor stole.
 * Linux only (NaN elsewhere). A busy neighbour makes every timing in that window suspect.
 */
export function cpuLoadBetween(a: CpuSnapshot, b: CpuSnapshot): { ownCores: number; otherCores: number; stolenCores: number } {
  const wallS = (b.wallMs - a.wallMs) / 1000;
  const own = (b.ownMicros - a.ownMicros) / 1e6 / wallS;
  const busy = (b.busyJiffies - a.busyJiffies) / 100 / wallS;
  const steal = (b.stealJiffies - a.stealJiffies) / 100 / wallS;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { ownCores: r(own), otherCores: r(Math.max(0, busy - own)), stolenCores: r(steal) };
}

/** `timed`, plus how many cores the rest of the machine used meanwhile (see cpuLoadBetween). */
export async function timedWithLoad<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T; otherCores: number }> {
  const a = cpuSnapshot();
  const start = nowMs();
  const value = await fn();
  const ms = nowMs() - start;
  return { ms, value, otherCores: cpuLoadBetween(a, cpuSnapshot()).otherCores };
}
