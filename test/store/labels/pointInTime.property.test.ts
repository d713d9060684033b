import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OpName } from '../../../src/pipelines/aggregations/catalog.js';
import { assembleSet } from '../../../src/store/labels/assemble.js';
import { MemoryEvents, MemoryTables } from '../../../src/store/labels/memorySources.js';
import { batchOf, compileText, numberAt, type Cell } from './helpers.js';

/**
 * The point-in-time property: on random data (few keys, few distinct times, so ties and empty
 * histories are common), the assembled set equals what a naive, obviously-correct computation gives:
 * - each feature: scan every feature row of the same key with a time strictly before the row's,
 *   take the latest (ties: the last in table order), null it when older than the tolerance;
 * - the label: scan every label event of the same key in the row's window ((t, t + h], or the
 *   periods after t's period), skip nulls, aggregate;
 * - rows whose window runs past the last label event are dropped, or kept with a null label.
 */

const USERS = ['ann', 'bob', 'cy', 'dee'];
const OPS: OpName[] = ['count', 'sum', 'mean', 'min', 'max', 'first', 'last', 'variance', 'std', 'count_distinct'];

interface Row {
  user: string;
  t: number;
  v: number | null;
}

const rowArb = fc.record({
  user: fc.constantFrom(...USERS),
  t: fc.integer({ min: 0, max: 40 }),
  v: fc.option(fc.integer({ min: -5, max: 9 }), { nil: null, freq: 5 }),
});

const caseArb = fc.record({
  spine: fc.array(rowArb, { minLength: 1, maxLength: 30 }),
  feature: fc.array(rowArb, { maxLength: 40 }),
  events: fc.array(rowArb, { maxLength: 40 }),
  op: fc.constantFrom(...OPS),
  kind: fc.constantFrom('lookahead', 'event_within', 'next_period'),
  horizon: fc.integer({ min: 1, max: 15 }),
  period: fc.integer({ min: 1, max: 12 }),
  periods: fc.integer({ min: 1, max: 3 }),
  offset: fc.integer({ min: 0, max: 11 }),
  tolerance: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  inference: fc.boolean(),
  /** Orders in which the tables' dictionaries were filled: codes must be translated, never assumed. */
  orders: fc.tuple(fc.shuffledSubarray(USERS, { minLength: 4 }), fc.shuffledSubarray(USERS, { minLength: 4 }), fc.shuffledSubarray(USERS, { minLength: 4 })),
});

interface LabelSpec {
  op: OpName;
  kind: 'lookahead' | 'event_within' | 'next_period';
  horizon: number;
  period: number;
  periods: number;
  offset: number;
}

function labelYaml(l: LabelSpec): string {
  const column = l.op === 'count' || l.kind === 'event_within' ? '' : 'column: x, ';
  if (l.kind === 'event_within') return `{ name: fut, source: payouts, kind: event_within, horizon: ${l.horizon}ms }`;
  if (l.kind === 'next_period') return `{ name: fut, source: payouts, kind: next_period, op: ${l.op}, ${column}period: ${l.period}ms, periods: ${l.periods}, offset: ${l.offset}ms }`;
  return `{ name: fut, source: payouts, op: ${l.op}, ${column}horizon: ${l.horizon}ms }`;
}

/** The naive label window (from, to] of a row at t. */
function naiveWindow(l: LabelSpec, t: number): [number, number] {
  if (l.kind !== 'next_period') return [t, t + l.horizon];
  // The end of t's period: the first edge offset + k·period at or after t.
  let e = l.offset + Math.floor((t - l.offset) / l.period) * l.period;
  if (e < t) e += l.period;
  return [e, e + l.periods * l.period];
}

function configText(l: LabelSpec, tolerance: number | undefined, inference: boolean): string {
  return `
name: prop
sources:
  orders: { time: t, keys: [user], columns: { user: string, amount: float64 } }
  clicks: { time: t, keys: [user], columns: { user: string, v: float64 } }
  payouts: { time: t, keys: [user], columns: { user: string, x: float64 } }
features:
  - { name: clicks_v, source: clicks, op: sum, column: v, window: 1h }
labels:
  - ${labelYaml(l)}
sets:
  - { name: s, spine: orders, features: [clicks_v], label: fut, inference: ${inference}${tolerance === undefined ? '' : `, tolerance: ${tolerance}ms`} }
`;
}

/** The latest feature row of `user` strictly before t (ties: last in table order), or null. */
function naiveAsOf(feature: readonly Row[], user: string, t: number, tolerance: number | undefined): number | null {
  let best = -1;
  feature.forEach((r, j) => {
    if (r.user === user && r.t < t && (best < 0 || r.t >= feature[best]!.t)) best = j;
  });
  if (best < 0) return null;
  const r = feature[best]!;
  if (tolerance !== undefined && t - r.t > tolerance) return null;
  return r.v;
}

function naiveLabel(events: readonly Row[], l: LabelSpec, user: string, t: number): number | null {
  const [from, to] = naiveWindow(l, t);
  if (l.kind === 'event_within') return events.some((r) => r.user === user && r.t > from && r.t <= to) ? 1 : 0;
  const op = l.op;
  // Stable by time: ties keep arrival order.
  const inWindow = events
    .map((r, j) => ({ ...r, j }))
    .filter((r) => r.user === user && r.t > from && r.t <= to && (op === 'count' || r.v !== null))
    .sort((a, b) => a.t - b.t || a.j - b.j);
  const xs = inWindow.map((r) => r.v as number);
  if (op === 'count') return inWindow.length;
  if (op === 'count_distinct') return new Set(xs).size;
  if (xs.length === 0) return null;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = sum / xs.length;
  switch (op) {
    case 'sum':
      return sum;
    case 'mean':
      return mean;
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
    case 'first':
      return xs[0]!;
    case 'last':
      return xs[xs.length - 1]!;
    case 'variance':
    case 'std': {
      if (xs.length < 2) return null;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
      return op === 'std' ? Math.sqrt(variance) : variance;
    }
    default:
      throw new Error(op);
  }
}

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

describe('point-in-time assembly, against a naive as-of join and a naive look-ahead', () => {
  it('holds on random data', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const compiled = compileText(configText(c, c.tolerance, c.inference));
        const cells = (rows: readonly Row[], col: string): Record<string, Cell[]> => ({ user: rows.map((r) => r.user), [col]: rows.map((r) => r.v) });
        const spine = batchOf(c.spine.map((r) => r.t), cells(c.spine, 'amount'), c.orders[0]);
        const feature = batchOf(c.feature.map((r) => r.t), cells(c.feature, 'clicks_v'), c.orders[1]);
        const events = batchOf(c.events.map((r) => r.t), cells(c.events, 'x'), c.orders[2]);
        const set = await assembleSet(compiled, 's', {
          tables: new MemoryTables({ clicks: [feature] }),
          events: new MemoryEvents({ orders: [spine], payouts: [events] }),
        });

        // The naive expectation, row by row, in the order the set has them (time, then spine order).
        const dataEnd = c.events.length === 0 ? -Infinity : Math.max(...c.events.map((r) => r.t));
        const ordered = c.spine.map((r, j) => ({ ...r, j })).sort((a, b) => a.t - b.t || a.j - b.j);
        const expected = ordered.flatMap((r) => {
          const past = naiveWindow(c, r.t)[1] > dataEnd;
          if (past && !c.inference) return [];
          return [{ user: r.user, t: r.t, feature: naiveAsOf(c.feature, r.user, r.t, c.tolerance), label: past ? null : naiveLabel(c.events, c, r.user, r.t) }];
        });
        const t = set.table;
        expect(t.numRows).toBe(expected.length);
        expect(set.counts.droppedPastEnd).toBe(c.inference ? 0 : c.spine.length - expected.length);
        expected.forEach((e, i) => {
          const got = { user: t.getChild('user')!.get(i), t: numberAt(t.getChild('t'), i), feature: numberAt(t.getChild('clicks_v'), i), label: numberAt(t.getChild('fut'), i) };
          if (got.user !== e.user || got.t !== e.t || !close(got.feature, e.feature) || !close(got.label, e.label)) {
            throw new Error(`row ${i}: got ${JSON.stringify(got)}, expected ${JSON.stringify(e)}`);
          }
          // The matrix holds the same value, NaN for null.
          const m = set.matrix[i]!;
          expect(e.feature === null ? Number.isNaN(m) : Math.abs(m - e.feature) < 1e-6).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
