/**
 * A scale check: 200k events over a day, 1000 keys, times on whole seconds (so many ties), mild
 * out-of-order arrival (delays up to 6 s) with 2 s allowed lateness (some events late), 1 h sliding count/sum/mean at
 * every event, replayed end to end and compared with DuckDB row by row. The input spans several read
 * batches, so reordering across batch boundaries is exercised too.
 *
 * Amounts are whole cents, so counts and sums are exact integers in both engines and compared
 * exactly. The mean is compared to 1e-12 relative: Tributary computes it as shift + Σ(v - shift)/n
 * and DuckDB as Σv/n, which may round differently in the last bit.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tables.js';
import { duckFeatures, loadEvents, openDuck, type Duck } from './helpers/duck.js';
import { lateCount, runReplay } from './helpers/engine.js';
import { configYaml, idFor, rng, splitLate, writeEvents, type Ev, type FeatureSpec } from './helpers/model.js';

const N = 200_000;
const KEYS = 1000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1);

function makeEvents(): Ev[] {
  const random = rng(20240301);
  const timed: { t: number; at: number; k: number; v: number }[] = [];
  for (let i = 0; i < N; i++) {
    // Uniform over 24 h, on whole seconds; key popularity skewed (a few hot keys).
    const t = T0 + Math.floor(random() * 86_400) * 1000;
    const k = Math.floor(KEYS * random() ** 2);
    const v = Math.floor(random() * 50_000) + 1;
    // Arrival: time plus a delay of up to 6 s (mostly far less), so some events arrive more than 2 s behind the newest.
    timed.push({ t, at: t + random() ** 3 * 6000, k, v });
  }
  timed.sort((a, b) => a.at - b.at);
  return timed.map((e, seq) => ({ seq, id: idFor(seq), t: e.t, k: `card${e.k}`, c: 'a', s: null, v: e.v }));
}

describe('scale: 200k events, 1000 keys, 1 h windows: replay = DuckDB', () => {
  const root = tempDir('tributary-oracle-scale-');
  let duck: Duck;
  beforeAll(async () => {
    duck = await openDuck();
  });
  afterAll(() => {
    duck?.close();
    root.remove();
  });

  it('count, sum and mean over 1 h at every event, and every late event accounted for', { timeout: 120_000 }, async () => {
    const events = makeEvents();
    const lateness = 2000;
    const file = join(root.dir, 'tx.jsonl');
    writeEvents(file, events);
    const features: FeatureSpec[] = [
      { name: 'spend', source: 'tx', ops: ['count', 'sum', 'mean'], opsListed: true, column: 'v', windows: [HOUR], windowsListed: true, inclusive: false },
      { name: 'n_incl', source: 'tx', ops: ['count'], opsListed: false, windows: [HOUR], windowsListed: false, inclusive: true },
    ];
    const columns = ['spend_count_1h', 'spend_sum_1h', 'spend_mean_1h', 'n_incl'];
    const text = configYaml('scale', [{ name: 'tx', file: 'tx.jsonl', lateness }], features);

    const started = Date.now();
    const run = await runReplay(text, root.dir, join(root.dir, 'data'), { tx: columns });
    const replayMs = Date.now() - started;

    const { late } = splitLate(events, lateness);
    expect(late.length).toBeGreaterThan(0); // the case is meant to have late events
    expect(lateCount(run.summary, 'tx')).toBe(late.length);
    const loaded = await loadEvents(duck, 'tx', file, lateness);
    expect(loaded.lateIds.length).toBe(late.length);
    expect(loaded.accepted).toBe(N - late.length);

    const d = await duckFeatures(duck, 'tx', features);
    const got = run.tables.get('tx')!;
    expect(got.ids.length).toBe(d.ids.length);
    const mismatches: string[] = [];
    for (let i = 0; i < d.ids.length && mismatches.length < 10; i++) {
      if (got.ids[i] !== d.ids[i]) {
        mismatches.push(`row ${i}: id ${got.ids[i]}, DuckDB (t, arrival) order has ${d.ids[i]}`);
        break;
      }
      for (const c of columns) {
        const a = got.columns.get(c)![i]!;
        const b = d.columns.get(c)![i]!;
        const ok = c === 'spend_mean_1h' ? a !== null && b !== null ? Math.abs(a - b) <= 1e-12 * Math.abs(b) : a === b : a === b;
        if (!ok) mismatches.push(`row ${i} (id ${d.ids[i]}): ${c} tributary ${a}, duckdb ${b}`);
      }
    }
    expect(mismatches).toEqual([]);
    // Not a benchmark; a guard against an accidental quadratic path.
    expect(replayMs).toBeLessThan(30_000);
  });
});
