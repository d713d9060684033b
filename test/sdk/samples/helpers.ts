import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { parseTime } from '../../../src/pipelines/data/time.js';
import type { FeatureSetConfig, SourceConfig } from '../../../src/sdk/config/types.js';
import { generateSamples, type SampleDomain, type SampleOptions } from '../../../src/sdk/samples/index.js';

export type Row = Record<string, unknown>;

export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tributary-samples-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Generate a domain into a fresh temp dir; returns the dir, the files and how long it took. */
export async function generateInto(domain: SampleDomain, opts: SampleOptions = {}) {
  const { dir, cleanup } = tempDir(domain);
  const t0 = performance.now();
  const result = await generateSamples(domain, dir, opts);
  return { dir, cleanup, files: result.files, ms: performance.now() - t0 };
}

/** A CSV with a header and no quoting (the generators never need quoting): rows of strings. */
export function readCsv(path: string): Row[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // the file ends with a newline
  const header = lines.shift()!.split(',');
  return lines.map((line) => {
    expect(line).not.toContain('"');
    const cells = line.split(',');
    expect(cells.length).toBe(header.length);
    const row: Row = {};
    header.forEach((h, i) => (row[h] = cells[i]));
    return row;
  });
}

/** JSON lines, nested objects flattened to dotted names (attributes.page), as configs name them. */
export function readJsonl(path: string): Row[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => flatten(JSON.parse(line) as Row));
}

function flatten(obj: Row, prefix = '', out: Row = {}): Row {
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Row, `${prefix}${k}.`, out);
    else out[prefix + k] = v;
  }
  return out;
}

export function readRows(path: string): Row[] {
  return path.endsWith('.csv') ? readCsv(path) : readJsonl(path);
}

/** The generated file a config source reads: same file name, in the generated folder. */
export function sourceFile(source: SourceConfig, dir: string): string {
  expect(source.path, `source ${source.name} has a path`).toBeDefined();
  return join(dir, basename(source.path!));
}

/** Does a raw value (a CSV cell or a JSON value) read as the column type? */
function fitsType(value: unknown, type: string): boolean {
  const num = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  switch (type) {
    case 'float64':
      return Number.isFinite(num);
    case 'int64':
    case 'int32':
      return Number.isInteger(num);
    case 'bool':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'timestamp':
      return !Number.isNaN(parseTime(value));
    case 'string':
      return typeof value === 'string' && value !== '';
    default:
      return false;
  }
}

export interface SourceShape {
  rows: Row[];
  times: number[];
  /** Largest (newest time seen before a row) - (row's time), ms: 0 for a sorted file. */
  maxLateness: number;
  lateRows: number;
}

/**
 * Check one source's file against its config: exactly the declared columns plus the time column on every
 * row, each value of its type, times that parse, and order within the declared lateness.
 */
export function checkSource(source: SourceConfig, dir: string): SourceShape {
  const rows = readRows(sourceFile(source, dir));
  expect(rows.length, `${source.name} has rows`).toBeGreaterThan(0);
  const expected = [source.time, ...Object.keys(source.columns)].sort();
  const times: number[] = [];
  let newest = -Infinity;
  let maxLateness = 0;
  let lateRows = 0;
  for (const [i, row] of rows.entries()) {
    // Compare key sets once per distinct shape only, but check every row (cheap: few columns).
    const keys = Object.keys(row).sort();
    if (keys.join() !== expected.join()) expect(keys, `${source.name} row ${i} columns`).toEqual(expected);
    for (const [col, type] of Object.entries(source.columns)) {
      if (!fitsType(row[col], type)) expect.fail(`${source.name} row ${i}: ${col}=${JSON.stringify(row[col])} is not ${type}`);
    }
    const t = parseTime(row[source.time], source.timeFormat);
    if (Number.isNaN(t)) expect.fail(`${source.name} row ${i}: time ${JSON.stringify(row[source.time])} does not parse as ${source.timeFormat}`);
    times.push(t);
    if (t < newest) {
      lateRows++;
      maxLateness = Math.max(maxLateness, newest - t);
    }
    newest = Math.max(newest, t);
  }
  expect(maxLateness, `${source.name}: lateness within the declared ${source.lateness} ms`).toBeLessThanOrEqual(source.lateness);
  return { rows, times, maxLateness, lateRows };
}

/** checkSource for every source of a config; the config's sources must cover every generated file. */
export function checkDomain(config: FeatureSetConfig, dir: string, files: { path: string }[]): Record<string, SourceShape> {
  const read = Object.values(config.sources).map((s) => basename(s.path ?? ''));
  expect(read.sort()).toEqual(files.map((f) => basename(f.path)).sort());
  const out: Record<string, SourceShape> = {};
  for (const source of Object.values(config.sources)) out[source.name] = checkSource(source, dir);
  return out;
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Index of the first element >= x in a sorted array. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
