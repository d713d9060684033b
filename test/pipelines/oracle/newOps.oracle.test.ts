/**
 * The ops added after the basic ten, end to end through a YAML config and `replay`, against DuckDB:
 *
 * | Tributary | DuckDB |
 * | --- | --- |
 * | skew, kurtosis | skewness, kurtosis (the same sample formulas) |
 * | top_k / bottom_k (k: 2) | max(v, 2) / min(v, 2) |
 * | first_k / last_k | arg_min / arg_max(v, (t, seq), 2): earliest first / latest first, ties by arrival |
 * | approx_percentile | quantile_disc (sliding windows are exact; the windows here are small enough for KLL to be exact) |
 * | histogram values [x, y] | count(*) FILTER (s = 'x'), ..., and count(s) of the rest |
 * | approx_count_distinct | count(DISTINCT s) (exact in sliding windows; HyperLogLog within ±1 on three values) |
 *
 * Sliding windows with random lateness (DuckDB finds the late events by arrival order), half-open or
 * inclusive; and tumbling windows with every event on time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';
import { tempDir } from '../../helpers/tables.js';
import { eventsArb, type EventsCase } from './helpers/arbitraries.js';
import { loadEvents, openDuck, type Duck } from './helpers/duck.js';
import { runReplay } from './helpers/engine.js';
import { SOURCE_COLUMNS, splitLate, writeEvents } from './helpers/model.js';

const QS = [0.25, 0.5, 1];

/** Output column -> DuckDB aggregate (before FILTER / OVER), for feature `m` over v and `h` over s. */
function columnSql(prefix: { m: string; h: string }): [string, string][] {
  const m = prefix.m;
  const h = prefix.h;
  const fv = 'FILTER (WHERE v IS NOT NULL)';
  const fs = 'FILTER (WHERE s IS NOT NULL)';
  return [
    [`${m}_skew`, `skewness(v) ${fv}`],
    [`${m}_kurtosis`, `kurtosis(v) ${fv}`],
    [`${m}_top_k_1`, `max(v, 2) ${fv}`],
    [`${m}_top_k_2`, `max(v, 2) ${fv}`],
    [`${m}_bottom_k_1`, `min(v, 2) ${fv}`],
    [`${m}_bottom_k_2`, `min(v, 2) ${fv}`],
    [`${m}_first_k_1`, `arg_min(v, struct_pack(t := t, s := seq), 2) ${fv}`],
    [`${m}_first_k_2`, `arg_min(v, struct_pack(t := t, s := seq), 2) ${fv}`],
    [`${m}_last_k_1`, `arg_max(v, struct_pack(t := t, s := seq), 2) ${fv}`],
    [`${m}_last_k_2`, `arg_max(v, struct_pack(t := t, s := seq), 2) ${fv}`],
    ...QS.map((q): [string, string] => [`${m}_approx_percentile_p${q * 100}`, `quantile_disc(v, ${q}) ${fv}`]),
    [`${h}_histogram_x`, "count(*) FILTER (WHERE s = 'x')"],
    [`${h}_histogram_y`, "count(*) FILTER (WHERE s = 'y')"],
    [`${h}_histogram___other__`, "count(s) FILTER (WHERE s NOT IN ('x', 'y'))"],
    [`${h}_approx_count_distinct`, `count(DISTINCT s) ${fs}`],
  ];
}

/** Pick element j (1-based in the name's `_k_<j>`) of a list-valued DuckDB answer. */
function pick(column: string, x: unknown): number | null {
  if (x === null || x === undefined) return null;
  // DuckDB's skewness over a window frame of equal values gives NaN where its plain aggregate (and
  // Tributary) give null: no spread. Read it as null.
  if (typeof x === 'number' && Number.isNaN(x)) return null;
  if (Array.isArray(x)) {
    const j = Number(/_k_(\d)$/.exec(column)![1]);
    const v = x[j - 1];
    return v === undefined || v === null ? null : Number(v);
  }
  return Number(x);
}

function featuresYaml(window: string, inclusive: boolean): string {
  const incl = inclusive ? '\n    inclusive: true' : '';
  return `
  - name: m
    source: ev
    key: k
    ops: [skew, kurtosis, top_k, bottom_k, first_k, last_k, approx_percentile]
    k: 2
    percentiles: [${QS.join(', ')}]
    column: v
    window: ${window}${incl}
  - name: h
    source: ev
    key: k
    ops: [histogram, approx_count_distinct]
    values: [x, y]
    column: s
    window: ${window}${incl}
`;
}

function configText(lateness: number, window: string, inclusive: boolean): string {
  return `name: newops
sources:
  ev:
    path: ev.jsonl
    format: jsonl
    time: t
    time_format: epoch_ms
    keys: [k]
    lateness: ${lateness}ms
    columns: ${SOURCE_COLUMNS}
features:${featuresYaml(window, inclusive)}`;
}

function agrees(got: number | null, want: number | null): boolean {
  if (got === null || want === null) return got === want;
  return Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(got), Math.abs(want));
}

describe('new ops end to end: Tributary replay = DuckDB SQL', () => {
  const root = tempDir('tributary-newops-');
  let duck: Duck;
  beforeAll(async () => {
    duck = await openDuck();
  });
  afterAll(() => {
    duck?.close();
    root.remove();
  });

  it('sliding windows, half-open or inclusive, with late events', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), fc.constantFrom(3, 10, 50, 250), fc.boolean(), async (c: EventsCase, w, inclusive) => {
        const dir = mkdtempSync(join(root.dir, 'run-'));
        try {
          writeEvents(join(dir, 'ev.jsonl'), c.events);
          const cols = columnSql({ m: 'm', h: 'h' });
          const run = await runReplay(configText(c.lateness, `${w}ms`, inclusive), dir, join(dir, 'data'), { ev: cols.map(([name]) => name) });
          await loadEvents(duck, 'ev', join(dir, 'ev.jsonl'), c.lateness);
          const frame = `OVER (PARTITION BY k ORDER BY t RANGE BETWEEN ${w} PRECEDING AND ${inclusive ? 'CURRENT ROW' : '1 PRECEDING'})`;
          const sql = `SELECT id, ${cols.map(([name, agg]) => `${agg} ${frame} AS "${name}"`).join(', ')} FROM ev ORDER BY t, seq`;
          const rows = (await duck.conn.runAndReadAll(sql)).getRowObjectsJS();
          const t = run.tables.get('ev')!;
          expect(t.ids).toEqual(rows.map((r) => Number(r.id)));
          expect(t.ids.length).toBe(splitLate(c.events, c.lateness).accepted.length);
          const problems: string[] = [];
          for (const [name] of cols) {
            const got = t.columns.get(name)!;
            rows.forEach((r, i) => {
              const want = pick(name, r[name]);
              if (!agrees(got[i]!, want) && problems.length < 10) problems.push(`row ${i} id ${t.ids[i]} ${name}: got ${got[i]}, DuckDB ${want}`);
            });
          }
          expect(problems).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      {
        numRuns: 30,
        examples: [
          // Three equal values at one time, inclusive: no spread.
          [{ events: [0, 1, 2].map((seq) => ({ seq, id: seq + 1, t: 0, k: 'k0', c: 'a', s: null, v: 0 })), lateness: 0 }, 3, true],
        ],
      },
    );
  });

  it('sliding windows over materialized buckets: the window start rounds down to a bucket edge', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), fc.constantFrom(10, 50, 250), fc.constantFrom(1, 3, 10), fc.boolean(), async (c: EventsCase, w, b, inclusive) => {
        const dir = mkdtempSync(join(root.dir, 'run-'));
        try {
          writeEvents(join(dir, 'ev.jsonl'), c.events);
          const text = configText(c.lateness, `${w}ms`, inclusive).replace(/(    window: .*)/g, `$1\n    bucket: ${b}ms`);
          const cols: [string, string][] = [
            ['m_skew', 'skewness(x.v)'],
            ['m_top_k_1', 'max(x.v, 2)'],
            ['m_top_k_2', 'max(x.v, 2)'],
            ['m_last_k_1', 'arg_max(x.v, struct_pack(t := x.t, s := x.seq), 2)'],
            ['m_approx_percentile_p50', 'quantile_disc(x.v, 0.5)'],
            ['h_histogram_x', "count(*) FILTER (WHERE x.s = 'x')"],
            ['h_histogram___other__', "count(x.s) FILTER (WHERE x.s NOT IN ('x', 'y'))"],
          ];
          const run = await runReplay(text, dir, join(dir, 'data'), { ev: cols.map(([name]) => name) });
          await loadEvents(duck, 'ev', join(dir, 'ev.jsonl'), c.lateness);
          const upper = inclusive ? 'x.t <= e.t' : 'x.t < e.t';
          const within = `x.k = e.k AND floor(x.t / ${b}) * ${b} >= floor((e.t - ${w}) / ${b}) * ${b} AND ${upper}`;
          const exprs = cols.map(([name, agg]) => {
            const column = name.startsWith('m_') ? 'x.v' : 'x.s';
            return `(SELECT ${agg.replace(/FILTER \(WHERE /, `FILTER (WHERE ${column} IS NOT NULL AND `).replace(/^(skewness|max|arg_max|quantile_disc)\((.*)\)$/, `$1($2) FILTER (WHERE ${column} IS NOT NULL)`)} FROM ev x WHERE ${within}) AS "${name}"`;
          });
          const rows = (await duck.conn.runAndReadAll(`SELECT e.id, ${exprs.join(', ')} FROM ev e ORDER BY e.t, e.seq`)).getRowObjectsJS();
          const t = run.tables.get('ev')!;
          expect(t.ids).toEqual(rows.map((r) => Number(r.id)));
          const problems: string[] = [];
          for (const [name] of cols) {
            const got = t.columns.get(name)!;
            rows.forEach((r, i) => {
              const want = pick(name, r[name]);
              if (!agrees(got[i]!, want) && problems.length < 10) problems.push(`row ${i} id ${t.ids[i]} ${name}: got ${got[i]}, DuckDB ${want}`);
            });
          }
          expect(problems).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
  });

  it('tumbling windows (panes, Accumulator), every event on time', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), fc.constantFrom(5, 20, 100), async (c: EventsCase, size) => {
        const dir = mkdtempSync(join(root.dir, 'run-'));
        try {
          writeEvents(join(dir, 'ev.jsonl'), c.events);
          const lateness = 100_000;
          const summary = await replay(parseConfig(configText(lateness, `{ tumbling: ${size}ms }`, false), { dir, dataDir: join(dir, 'data') }));
          await loadEvents(duck, 'ev', join(dir, 'ev.jsonl'), lateness);
          const problems: string[] = [];
          for (const f of ['m', 'h'] as const) {
            const cols = columnSql({ m: 'm', h: 'h' }).filter(([name]) => name.startsWith(`${f}_`));
            const file = summary.tables.find((x) => x.name === f)!.file;
            const table = tableFromIPC(readFileSync(file));
            const nonNull = f === 'm' ? 'v IS NOT NULL' : 's IS NOT NULL';
            const sql = `SELECT k, (t // ${size}) * ${size} AS ws, ${cols.map(([name, agg]) => `${agg} AS "${name}"`).join(', ')}
              FROM ev WHERE ${nonNull} GROUP BY k, ws ORDER BY ws, k`;
            const rows = (await duck.conn.runAndReadAll(sql)).getRowObjectsJS();
            const got = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
            got.sort((a, b) => Number(a.window_start) - Number(b.window_start) || String(a.k).localeCompare(String(b.k)));
            if (got.length !== rows.length) problems.push(`${f}: ${got.length} windows, DuckDB ${rows.length}`);
            rows.forEach((r, i) => {
              const g = got[i];
              if (g === undefined) return;
              if (String(g.k) !== String(r.k) || Number(g.window_start) !== Number(r.ws)) problems.push(`${f} row ${i}: window ${g.k}@${g.window_start}, DuckDB ${r.k}@${r.ws}`);
              for (const [name] of cols) {
                const want = pick(name, r[name]);
                const gv = g[name] === null || g[name] === undefined ? null : Number(g[name]);
                const ok = name.endsWith('approx_count_distinct') ? gv !== null && want !== null && Math.abs(gv - want) <= 1 : agrees(gv, want);
                if (!ok && problems.length < 10) problems.push(`${f} row ${i} (${r.k}@${r.ws}) ${name}: got ${gv}, DuckDB ${want}`);
              }
            });
          }
          expect(problems).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
  });
});
