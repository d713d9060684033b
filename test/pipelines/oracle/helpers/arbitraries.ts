/**
 * fast-check generators for the oracle tests: events with a few keys, many equal timestamps, nulls
 * and out-of-order arrival; and aggregate features with random ops, windows and options.
 */
import fc from 'fast-check';
import { ALL_OPS, ANY_OPS, idFor, WHERES, type Ev, type FeatureSpec, type Op } from './model.js';

export interface EventsCase {
  events: Ev[];
  lateness: number;
}

const rowArb = fc.record({
  // Many zero steps: equal timestamps, within a key and across keys.
  dt: fc.constantFrom(0, 0, 0, 1, 1, 2, 3, 5, 9, 25, 80, 300),
  k: fc.nat({ max: 3 }),
  c: fc.constantFrom('a', 'b', 'c'),
  s: fc.option(fc.constantFrom('x', 'y', 'z'), { freq: 5 }),
  // Quarters: sums and squares are exact in binary, so float differences stay far below the tolerance.
  v: fc.option(fc.integer({ min: -200, max: 200 }), { freq: 6 }),
  jitter: fc.integer({ min: -8, max: 8 }),
});

/**
 * Events in arrival order. They are made in time order, then each is moved by `jitter × disorder`
 * places, so arrival runs up to ~24 events out of time order; the lateness decides which are late.
 */
export const eventsArb = (opts: { maxLength?: number; keys?: string[] } = {}): fc.Arbitrary<EventsCase> =>
  fc
    .record({
      rows: fc.array(rowArb, { minLength: 1, maxLength: opts.maxLength ?? 120 }),
      keyCount: fc.integer({ min: 1, max: 4 }),
      disorder: fc.constantFrom(0, 1, 3),
      lateness: fc.constantFrom(0, 1, 4, 15, 60, 100_000),
      t0: fc.constantFrom(0, 1_000, 1_700_000_000_000),
    })
    .map(({ rows, keyCount, disorder, lateness, t0 }) => {
      const keys = opts.keys ?? ['k0', 'k1', 'k2', 'k3'];
      let t = t0;
      const timed = rows.map((r, i) => {
        t += r.dt;
        return { r, t, at: i + r.jitter * disorder, i };
      });
      timed.sort((a, b) => a.at - b.at || a.i - b.i);
      const events: Ev[] = timed.map(({ r, t }, seq) => ({
        seq,
        id: idFor(seq),
        t,
        k: keys[r.k % Math.min(keyCount, keys.length)]!,
        c: r.c,
        s: r.s,
        v: r.v === null ? null : r.v / 4,
      }));
      return { events, lateness };
    });

const WINDOW_SIZES = [1, 2, 3, 5, 10, 20, 50, 100, 250, 500];

/** One aggregate feature over source `source`, named `name`. */
export const featureArb = (name: string, source: string, opts: { grouped?: boolean; filtered?: boolean; defaulted?: boolean } = {}): fc.Arbitrary<FeatureSpec> =>
  fc
    .record({
      column: fc.constantFrom<'v' | 's' | undefined>('v', 'v', 'v', 's', undefined),
      ops: fc.subarray([...ALL_OPS], { minLength: 1 }),
      opsListed: fc.boolean(),
      windows: fc.uniqueArray(fc.constantFrom(...WINDOW_SIZES), { minLength: 1, maxLength: 3 }),
      windowsListed: fc.boolean(),
      allHistory: fc.integer({ min: 0, max: 5 }),
      inclusive: fc.boolean(),
      inclusiveInWindow: fc.boolean(),
      by: opts.grouped === undefined ? fc.integer({ min: 0, max: 3 }).map((x) => x === 0) : fc.constant(opts.grouped),
      where:
        opts.filtered === undefined
          ? fc.option(fc.nat({ max: WHERES.length - 1 }), { freq: 3 })
          : opts.filtered
            ? fc.nat({ max: WHERES.length - 1 })
            : fc.constant(null),
      default:
        opts.defaulted === undefined
          ? fc.option(fc.constantFrom(-1, 0, 2.5), { freq: 3 })
          : opts.defaulted
            ? fc.constantFrom(-1, 0, 2.5, 1e6)
            : fc.constant(null),
    })
    .map((r): FeatureSpec => {
      let ops: Op[] = r.column === undefined ? ['count'] : r.column === 's' ? r.ops.filter((o) => ANY_OPS.includes(o)) : r.ops;
      if (ops.length === 0) ops = ['count_distinct'];
      if (!r.opsListed) ops = [ops[0]!];
      const windows = r.windowsListed ? r.windows : r.allHistory === 0 ? [Infinity] : [r.windows[0]!];
      return {
        name,
        source,
        ops,
        opsListed: r.opsListed,
        ...(r.column !== undefined && { column: r.column }),
        windows,
        windowsListed: r.windowsListed,
        inclusive: r.inclusive,
        inclusiveInWindow: r.inclusiveInWindow,
        ...(r.by && { by: 'c' as const }),
        ...(r.where !== null && { where: WHERES[r.where]! }),
        ...(r.default !== null && { default: r.default }),
      };
    });

export const featuresArb = (source: string, prefix: string, opts: Parameters<typeof featureArb>[2] = {}, max = 3): fc.Arbitrary<FeatureSpec[]> =>
  fc.integer({ min: 1, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => featureArb(`${prefix}${i}`, source, opts))));

/** How a re-run cuts the input into batches (lengths, cycled). */
export const cutsArb = fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 4 });
