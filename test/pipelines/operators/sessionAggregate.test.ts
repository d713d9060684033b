import fc from 'fast-check';
import { pipe } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BASIC_OP_NAMES as OP_NAMES } from '../../../src/pipelines/aggregations/catalog.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { sessionAggregate } from '../../../src/pipelines/operators/sessionAggregate.js';
import type { RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { close, naiveAggregate } from '../aggregations/helpers/naiveWindow.js';
import { allRows, batchesOf, cutsArb, evArb, jitteredOrder, rejectionKinds, rowsOf, runOp, stableByTime, type Ev, type Row } from './helpers.js';

const OUTPUTS = OP_NAMES.map((op) => ({ column: `o_${op}`, op }));

interface NaiveSession {
  key: string;
  start: number;
  end: number;
  values: number[];
}

/**
 * Sessions of in-order input: per key, maximal runs of usable events (non-null value, passing `where`)
 * in which consecutive events are less than `gap` apart; each covers [first, last + gap).
 */
function naiveSessions(evs: readonly Ev[], gap: number, useWhere: boolean): NaiveSession[] {
  const open = new Map<string, NaiveSession & { last: number }>();
  const done: NaiveSession[] = [];
  for (const e of evs) {
    if ((useWhere && !e.on) || e.v === null || e.key === null) continue;
    const s = open.get(e.key);
    if (s !== undefined && e.t - s.last < gap) {
      s.last = e.t;
      s.end = e.t + gap;
      s.values.push(e.v);
    } else {
      if (s !== undefined) done.push(s);
      open.set(e.key, { key: e.key, start: e.t, last: e.t, end: e.t + gap, values: [e.v] });
    }
  }
  done.push(...open.values());
  return done.map(({ key, start, end, values }) => ({ key, start, end, values }));
}

function expectedRow(s: NaiveSession): Row {
  const r: Row = { time: s.end, key: s.key, window_start: s.start };
  for (const o of OUTPUTS) r[o.column] = naiveAggregate(o.op, s.values);
  return r;
}

function rowsClose(got: Row[], want: Row[]): void {
  expect(got.length, `rows: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const name of Object.keys(w)) {
      const a = g[name];
      const b = w[name];
      const ok = typeof a === 'number' && typeof b === 'number' ? close(a, b) : a === b;
      if (!ok) throw new Error(`row ${i} column ${name}: got ${String(a)}, want ${String(b)}\n got ${JSON.stringify(g)}\nwant ${JSON.stringify(w)}`);
    }
  });
}

function build(gap: number, lateness: number, useWhere = false) {
  return (rt: RuntimeContext) =>
    pipe(
      keyBy(rt.step('keys', 'events'), ['key']),
      sessionAggregate(rt.step('sess', 'events'), {
        gap,
        lateness,
        valueColumn: 'v',
        outputs: OUTPUTS,
        ...(useWhere && { where: (b: Batch) => (b.columns.on as { values: Uint8Array }).values }),
      }),
    );
}

async function runSessions(evs: Ev[], sizes: number[], gap: number, lateness: number, useWhere = false) {
  const dict = new Dictionary(['a', 'b', 'c']);
  return { ...(await runOp(batchesOf(evs, sizes, dict), build(gap, lateness, useWhere))), dict };
}

const byKeyStart = (rs: Row[]) => rs.sort((x, y) => String(x.key).localeCompare(String(y.key)) || Number(x.window_start) - Number(y.window_start));

describe('sessionAggregate', () => {
  it('splits at gaps of gap or more, and emits each session when the watermark reaches its end', async () => {
    const evs: Ev[] = [0, 4, 8, 13, 30, 39].map((t, i) => ({ t, key: 'a', v: i, on: true }));
    const { out, rejections } = await runSessions(evs, [2, 2, 1, 1], 5, 0);
    // 8 -> 13 is exactly the gap: a new session. Sessions [0, 13), [13, 18), [30, 35), [39, 44).
    expect(out.map((b) => [allRows([b], ['window_start']), b.watermark])).toEqual([
      [[{ time: 13, window_start: 0 }], 13],
      [[{ time: 18, window_start: 13 }], 30],
      [[{ time: 35, window_start: 30 }], 39],
      [[{ time: 44, window_start: 39 }], Infinity],
    ]);
    expect(rejections).toEqual([]);
  });

  it('merges two open sessions when an out-of-order event bridges them', async () => {
    const evs: Ev[] = [
      { t: 0, key: 'a', v: 1, on: true },
      { t: 10, key: 'a', v: 2, on: true },
      { t: 5, key: 'a', v: 3, on: true }, // within 6 of both: one session [0, 16)
    ];
    const { out } = await runSessions(evs, [], 6, 100);
    expect(allRows(out, ['key', 'window_start', 'o_count', 'o_sum', 'o_first', 'o_last'])).toEqual([
      { time: 16, key: 'a', window_start: 0, o_count: 3, o_sum: 6, o_first: 1, o_last: 2 },
    ]);
  });

  it('rejects an event that could only start an already closed session, and null keys', async () => {
    const evs: Ev[] = [
      { t: 0, key: 'a', v: 1, on: true },
      { t: 50, key: 'b', v: 1, on: true },
      { t: 10, key: 'c', v: 1, on: true }, // [10, 15) ends below the watermark 50 - 0
      { t: 47, key: 'c', v: 1, on: true }, // [47, 52) is still open
      { t: 51, key: null, v: 1, on: true },
    ];
    const { out, rejections } = await runSessions(evs, [], 5, 0);
    expect(rejectionKinds(rejections)).toEqual([
      { time: 10, offset: 1002, kind: 'late' },
      { time: 51, offset: 1004, kind: 'null key' },
    ]);
    expect(byKeyStart(allRows(out, ['key', 'window_start']))).toEqual([
      { time: 5, key: 'a', window_start: 0 },
      { time: 55, key: 'b', window_start: 50 },
      { time: 52, key: 'c', window_start: 47 },
    ]);
  });

  it('matches the naive model, batch by batch, on in-order input', async () => {
    await fc.assert(
      fc.asyncProperty(
        evArb({ lo: -30, hi: 80, maxLength: 50, nullValues: true, filtered: true }).map(stableByTime),
        cutsArb,
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 0, max: 10 }),
        fc.boolean(),
        async (evs, sizes, gap, lateness, useWhere) => {
          const { out, rejections, dict } = await runSessions(evs, sizes, gap, lateness, useWhere);
          expect(rejections).toEqual([]);
          const naive = naiveSessions(evs, gap, useWhere);
          let prev = -Infinity;
          const remaining = new Set(naive);
          for (const b of out) {
            const w = b.watermark!;
            expect(w).toBeGreaterThan(prev);
            const want = naive.filter((s) => s.end > prev && s.end <= w).sort((x, y) => x.end - y.end || dict.lookup(x.key) - dict.lookup(y.key));
            want.forEach((s) => remaining.delete(s));
            rowsClose(rowsOf(b, ['key', 'window_start', ...OUTPUTS.map((o) => o.column)]), want.map(expectedRow));
            prev = w;
          }
          expect([...remaining]).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the in-order result for out-of-order input within lateness, whatever the cutting', async () => {
    await fc.assert(
      fc.asyncProperty(
        evArb({ lo: 0, hi: 100, maxLength: 50 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1 }),
        cutsArb,
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 25 }),
        async (evs, jitter, sizes, gap, lateness) => {
          const shuffled = jitteredOrder(stableByTime(evs), jitter, lateness);
          // The in-order reference keeps ties in arrival order (first/last pick by arrival among ties).
          const inOrder = stableByTime(shuffled);
          const a = await runSessions(inOrder, [], gap, lateness);
          const b = await runSessions(shuffled, sizes, gap, lateness);
          expect(b.rejections).toEqual([]);
          rowsClose(byKeyStart(allRows(b.out)), byKeyStart(allRows(a.out)));
          rowsClose(byKeyStart(allRows(a.out)), byKeyStart(naiveSessions(inOrder, gap, false).map(expectedRow)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the same output for every batch cutting, late events included', async () => {
    await fc.assert(
      fc.asyncProperty(evArb({ lo: 0, hi: 60, maxLength: 50, nullKeys: true }), cutsArb, cutsArb, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 8 }), async (evs, sa, sb, gap, lateness) => {
        const a = await runSessions(evs, sa, gap, lateness);
        const b = await runSessions(evs, sb, gap, lateness);
        expect(allRows(b.out)).toEqual(allRows(a.out));
        expect(b.rejections).toEqual(a.rejections);
      }),
      { numRuns: 150 },
    );
  });
});
