import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeriodGrid, type Period } from '../../../../src/pipelines/features/autofeatures/periods.js';
import { userPeriodFeatures } from '../../../../src/pipelines/features/autofeatures/userPeriodFeatures.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { rejectionKinds } from '../../operators/helpers.js';
import { cutsArb, expectRows, naiveStd, runDefinition, runDefinitionWithRestart, type InRow, type Value } from '../market/helpers.js';

const types = { user: 'string', ev: 'string', cat: 'string', amt: 'float64' } as const;
const DAY = 86_400_000;

interface Cfg {
  period: Period;
  offset: number;
  lateness: number;
  lags: number;
  /** Declared values of ev, or the number of learned slots. */
  values?: string[];
  top?: number;
}

function paramsOf(cfg: Cfg) {
  return {
    period: cfg.period,
    offset: cfg.offset,
    lags: cfg.lags,
    histograms: [{ column: 'ev', ...(cfg.values ? { values: cfg.values } : { top: cfg.top }) }],
    distinct: ['cat'],
    numeric: ['amt'],
  };
}

/**
 * The naive reference: rows in arrival order; a period is closed once the watermark (largest time
 * before the row, minus the lateness) is at or past its end; accepted events are grouped by (key,
 * period) and every key gets a row for every period from its first one to the period of the newest
 * time seen. Dictionary codes (for mode ties) are the order of first appearance over all rows.
 */
function naive(rows: readonly InRow[], cfg: Cfg) {
  const grid = new PeriodGrid(cfg.period, cfg.offset);
  const keyOrder: string[] = [];
  const evOrder: string[] = [];
  const rejections: { time: number; offset: number; kind: string }[] = [];
  const accepted: (InRow & { idx: number })[] = [];
  let max = -Infinity;
  let closed = -Infinity;
  rows.forEach((r, i) => {
    if (r.user !== null && !keyOrder.includes(r.user as string)) keyOrder.push(r.user as string);
    if (r.ev !== null && !evOrder.includes(r.ev as string)) evOrder.push(r.ev as string);
    if (max > -Infinity) closed = Math.max(closed, grid.index(max - cfg.lateness));
    if (r.t > max) max = r.t;
    if (r.user === null) return void rejections.push({ time: r.t, offset: i, kind: 'null key' });
    const idx = grid.index(r.t);
    if (idx < closed) return void rejections.push({ time: r.t, offset: i, kind: 'late' });
    accepted.push({ ...r, idx });
  });
  // Learned slots: the first k distinct values among accepted events.
  const slots = cfg.values ?? [];
  if (!cfg.values) for (const r of accepted) if (r.ev !== null && !slots.includes(r.ev as string) && slots.length < cfg.top!) slots.push(r.ev as string);
  const last = max > -Infinity ? grid.index(max) : -Infinity;
  const first = new Map<string, number>();
  for (const r of accepted) first.set(r.user as string, Math.min(first.get(r.user as string) ?? Infinity, r.idx));
  const slotNames = cfg.values ?? Array.from({ length: cfg.top! }, (_, i) => `top${i + 1}`);
  const base = (user: string, p: number): Record<string, Value> => {
    const evs = accepted.filter((r) => r.user === user && r.idx === p);
    const o: Record<string, Value> = { f_count: evs.length };
    const evVals = evs.map((r) => r.ev).filter((v): v is string => v !== null);
    slots.forEach((v, s) => (o[`f_ev_${slotNames[s]}`] = evVals.filter((x) => x === v).length));
    slotNames.slice(slots.length).forEach((n) => (o[`f_ev_${n}`] = 0));
    o.f_ev___other__ = evVals.filter((x) => !slots.includes(x)).length;
    const counts = new Map<string, number>();
    for (const v of evVals) counts.set(v, (counts.get(v) ?? 0) + 1);
    o.f_ev_count_distinct = counts.size;
    let mode: string | null = null;
    for (const [v, c] of counts) {
      const m = mode === null ? -1 : counts.get(mode)!;
      if (c > m || (c === m && evOrder.indexOf(v) < evOrder.indexOf(mode!))) mode = v;
    }
    o.f_ev_mode = mode === null ? null : slots.indexOf(mode) + 1;
    o.f_cat_count_distinct = new Set(evs.map((r) => r.cat).filter((v) => v !== null)).size;
    const amts = evs.map((r) => r.amt).filter((v): v is number => v !== null);
    o.f_amt_sum = amts.reduce((a, b) => a + b, 0);
    o.f_amt_mean = amts.length === 0 ? null : (o.f_amt_sum as number) / amts.length;
    o.f_amt_std = naiveStd(amts);
    return o;
  };
  const want: Record<string, Value>[] = [];
  const lo = Math.min(...first.values());
  for (let p = lo; p <= last; p++) {
    for (const user of keyOrder) {
      const f = first.get(user);
      if (f === undefined || f > p) continue;
      const row: Record<string, Value> = { time: grid.start(p + 1), window_start: grid.start(p), user, ...base(user, p) };
      for (let i = 1; i <= cfg.lags; i++) {
        const lag = p - i >= f ? base(user, p - i) : undefined;
        for (const k of Object.keys(base(user, p))) row[`${k}_${i}`] = lag === undefined ? null : lag[k]!;
      }
      want.push(row);
    }
  }
  return { want, rejections };
}

const UNIT: Record<Period, number> = { day: 3 * 3_600_000, week: DAY, month: 4 * DAY };

/** Events over about ten periods, in an arrival order up to a few units out of time order. */
const eventsArb = fc
  .record({
    period: fc.constantFrom<Period>('day', 'week', 'month'),
    offsetUnits: fc.integer({ min: 0, max: 3 }),
    latenessUnits: fc.integer({ min: 0, max: 4 }),
    lags: fc.integer({ min: 0, max: 2 }),
    declared: fc.boolean(),
    top: fc.integer({ min: 1, max: 3 }),
    start: fc.integer({ min: -5, max: 5 }),
    evs: fc.array(
      fc.record({
        u: fc.integer({ min: 0, max: 80 }),
        ms: fc.integer({ min: 0, max: 5 }),
        jitter: fc.integer({ min: 0, max: 6 }),
        user: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('A', 'B', 'C') }, { weight: 1, arbitrary: fc.constant(null) }),
        ev: fc.option(fc.constantFrom('view', 'cart', 'buy', 'help'), { freq: 8 }),
        cat: fc.option(fc.constantFrom('x', 'y', 'z'), { freq: 6 }),
        amt: fc.option(fc.integer({ min: -20, max: 200 }).map((a) => a / 4), { freq: 5 }),
      }),
      { maxLength: 60 },
    ),
  })
  .map((g) => {
    const unit = UNIT[g.period];
    // Start near the end of 2023 so month runs cross a year boundary and February.
    const t0 = Date.UTC(2023, 11, 20) + g.start * unit;
    const cfg: Cfg = {
      period: g.period,
      offset: g.period === 'month' ? g.offsetUnits * 3_600_000 : g.offsetUnits * DAY,
      lateness: g.latenessUnits * unit,
      lags: g.lags,
      ...(g.declared ? { values: ['view', 'buy'] } : { top: g.top }),
    };
    const rows = g.evs
      .map((e, i) => ({ e, i, k: e.u + e.jitter }))
      .sort((a, b) => a.k - b.k || a.i - b.i)
      .map(({ e }) => ({ t: t0 + e.u * unit + e.ms, user: e.user, ev: e.ev, cat: e.cat, amt: e.amt }) as InRow);
    return { cfg, rows };
  });

describe('user_period_features', () => {
  it('is a built-in definition', () => {
    expect(BUILTIN_DEFINITIONS).toContain(userPeriodFeatures);
  });

  it('emits a row per key and period from its first period, empty periods as zeros, with lags: a worked example', async () => {
    const d = (day: number, h = 0) => Date.UTC(2024, 0, day, h);
    const rows: InRow[] = [
      { t: d(1, 1), user: 'A', ev: 'view', cat: 'x', amt: 10 },
      { t: d(1, 5), user: 'A', ev: 'buy', cat: 'y', amt: 20 },
      { t: d(2, 1), user: 'B', ev: 'view', cat: 'x', amt: null },
      { t: d(4, 2), user: 'A', ev: 'help', cat: 'x', amt: 3 }, // 2 Jan and 3 Jan are empty for A
    ];
    const params = { period: 'day', histograms: [{ column: 'ev', values: ['view', 'buy'] }], distinct: ['cat'], numeric: ['amt'], lags: 1 };
    const { rows: got } = await runDefinition(userPeriodFeatures, params, rows, { types, key: ['user'] });
    const empty = { f_count: 0, f_ev_view: 0, f_ev_buy: 0, f_ev___other__: 0, f_ev_count_distinct: 0, f_ev_mode: null, f_cat_count_distinct: 0, f_amt_sum: 0, f_amt_mean: null, f_amt_std: null };
    expectRows(got, [
      { time: d(2), window_start: d(1), user: 'A', f_count: 2, f_ev_view: 1, f_ev_buy: 1, f_ev___other__: 0, f_ev_count_distinct: 2, f_ev_mode: 1, f_cat_count_distinct: 2, f_amt_sum: 30, f_amt_mean: 15, f_amt_std: Math.SQRT2 * 5, f_count_1: null },
      { time: d(3), window_start: d(2), user: 'A', ...empty, f_count_1: 2, f_amt_sum_1: 30 },
      { time: d(3), window_start: d(2), user: 'B', f_count: 1, f_ev_view: 1, f_ev_mode: 1, f_amt_sum: 0, f_amt_mean: null, f_count_1: null },
      { time: d(4), window_start: d(3), user: 'A', ...empty, f_count_1: 0 },
      { time: d(4), window_start: d(3), user: 'B', ...empty, f_count_1: 1 },
      { time: d(5), window_start: d(4), user: 'A', f_count: 1, f_ev___other__: 1, f_ev_mode: 0, f_amt_sum: 3, f_count_1: 0 },
      { time: d(5), window_start: d(4), user: 'B', ...empty, f_count_1: 0 },
    ]);
  });

  it('uses calendar months of UTC dates', async () => {
    const rows: InRow[] = [
      { t: Date.UTC(2024, 0, 31, 23), user: 'A', ev: 'view', cat: null, amt: 1 },
      { t: Date.UTC(2024, 1, 1), user: 'A', ev: 'view', cat: null, amt: 2 },
      { t: Date.UTC(2024, 2, 1) - 1, user: 'A', ev: 'view', cat: null, amt: 4 },
      { t: Date.UTC(2024, 3, 2), user: 'A', ev: 'view', cat: null, amt: 8 },
    ];
    const { rows: got } = await runDefinition(userPeriodFeatures, { period: 'month', numeric: ['amt'] }, rows, { types, key: ['user'] });
    expectRows(got, [
      { window_start: Date.UTC(2024, 0, 1), time: Date.UTC(2024, 1, 1), f_count: 1, f_amt_sum: 1 },
      { window_start: Date.UTC(2024, 1, 1), time: Date.UTC(2024, 2, 1), f_count: 2, f_amt_sum: 6 },
      { window_start: Date.UTC(2024, 2, 1), time: Date.UTC(2024, 3, 1), f_count: 0, f_amt_sum: 0 },
      { window_start: Date.UTC(2024, 3, 1), time: Date.UTC(2024, 4, 1), f_count: 1, f_amt_sum: 8 },
    ]);
  });

  it('matches the naive reference on random events: empty periods, lags, month edges, out of order within the lateness, late ones rejected', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, cutsArb, async ({ rows, cfg }, sizes) => {
        const { rows: got, rejections } = await runDefinition(userPeriodFeatures, paramsOf(cfg), rows, { types, key: ['user'], lateness: cfg.lateness }, sizes);
        const { want, rejections: rejected } = naive(rows, cfg);
        expectRows(got, want, 1e-9);
        expect(rejectionKinds(rejections)).toEqual(rejected);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same rows when restored from a structured-cloned checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, cutsArb, fc.nat(15), async ({ rows, cfg }, sizes, at) => {
        const o = { types, key: ['user'], lateness: cfg.lateness };
        const whole = await runDefinition(userPeriodFeatures, paramsOf(cfg), rows, o, sizes);
        const restarted = await runDefinitionWithRestart(userPeriodFeatures, paramsOf(cfg), rows, o, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
        expect(rejectionKinds(restarted.rejections)).toEqual(rejectionKinds(whole.rejections));
      }),
      { numRuns: 150 },
    );
  });

  it('counts only events that pass where, and only they make a key appear; weeks follow the offset', async () => {
    const monday = Date.UTC(2024, 0, 1); // a Monday: with offset 4d, weeks start on Mondays
    const rows: InRow[] = [
      { t: monday - 1, user: 'A', ev: 'view', cat: null, amt: 5 }, // the week before
      { t: monday, user: 'B', ev: 'help', cat: null, amt: 1 }, // filtered out: B never appears
      { t: monday + 3 * DAY, user: 'A', ev: 'buy', cat: null, amt: 7 },
      { t: monday + 6 * DAY, user: 'A', ev: 'help', cat: null, amt: 9 }, // filtered out
    ];
    const params = { period: 'week', offset: '4d', numeric: ['amt'], where: "ev != 'help'" };
    const { rows: got } = await runDefinition(userPeriodFeatures, params, rows, { types, key: ['user'] });
    expectRows(got, [
      { user: 'A', window_start: monday - 7 * DAY, time: monday, f_count: 1, f_amt_sum: 5 },
      { user: 'A', window_start: monday, time: monday + 7 * DAY, f_count: 1, f_amt_sum: 7 },
    ]);
  });

  it('rejects params whose columns would share a name', () => {
    expect(userPeriodFeatures.params.safeParse({ histograms: [{ column: 'ev' }], distinct: ['ev'] }).success).toBe(false);
    expect(userPeriodFeatures.params.safeParse({ histograms: [{ column: 'ev', values: ['a', 'b'], top: 2 }] }).success).toBe(false);
  });
});
