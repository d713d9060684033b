/**
 * Row-by-row comparison of the engine's output with the oracles. Problems are collected as text, so
 * that a failing property shows the rows that differ rather than a giant object diff.
 */
import type { DuckFeatures } from './duck.js';
import type { EngineTable } from './engine.js';
import { agrees, naiveFeature, outputColumns, type Ev, type FeatureSpec } from './model.js';

export interface Expected {
  /** Accepted events, in time order (ties in arrival order). */
  ordered: Ev[];
  features: readonly FeatureSpec[];
}

const show = (x: number | null) => (x === null ? 'null' : String(x));

function describe(e: Ev): string {
  return `id=${e.id} seq=${e.seq} t=${e.t} k=${e.k} c=${e.c} s=${e.s} v=${e.v}`;
}

/**
 * Compare one events table with the naive reference and (when given) DuckDB. Returns the problems
 * found (empty when everything agrees), at most `limit` of them.
 */
export function compareTable(label: string, got: EngineTable, want: Expected, duck: DuckFeatures | undefined, limit = 12): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (problems.length < limit) problems.push(`${label}: ${p}`);
  };
  const ordered = want.ordered;
  const wantIds = ordered.map((e) => e.id);
  if (got.ids.length !== wantIds.length) add(`${got.ids.length} rows, expected ${wantIds.length} (one per accepted event)`);
  const firstDiff = wantIds.findIndex((id, i) => got.ids[i] !== id);
  if (firstDiff >= 0) {
    add(`row order differs from (time, arrival) order at row ${firstDiff}: got ids ${got.ids.slice(firstDiff, firstDiff + 5).join(',')}, expected ${wantIds.slice(firstDiff, firstDiff + 5).join(',')}`);
    return problems;
  }
  ordered.forEach((e, i) => {
    if (got.times[i] !== e.t) add(`row ${i} (${describe(e)}): time ${got.times[i]}`);
  });
  if (duck !== undefined) {
    const duckDiff = wantIds.findIndex((id, i) => duck.ids[i] !== id);
    if (duck.ids.length !== wantIds.length || duckDiff >= 0) add(`DuckDB's accepted events differ from the naive ones (at ${duckDiff})`);
  }
  for (const f of want.features) {
    const naive = naiveFeature(ordered, f);
    for (const o of outputColumns(f)) {
      const g = got.columns.get(o.column);
      if (g === undefined) {
        add(`no column ${o.column}`);
        continue;
      }
      const n = naive.get(o.column)!;
      const d = duck?.columns.get(o.column);
      for (let i = 0; i < ordered.length; i++) {
        const gi = g[i] ?? null;
        const ni = n[i]!;
        const okNaive = agrees(o.op, gi, ni);
        const okDuck = d === undefined || agrees(o.op, gi, d[i]!);
        const oraclesAgree = d === undefined || agrees(o.op, ni, d[i]!);
        if (!okNaive || !okDuck || !oraclesAgree) {
          add(`${o.column} (${o.op} over ${o.window} ms${f.inclusive ? ', inclusive' : ''}) at row ${i} (${describe(ordered[i]!)}): tributary ${show(gi)}, naive ${show(ni)}${d ? `, duckdb ${show(d[i]!)}` : ''}`);
        }
      }
    }
  }
  return problems;
}
