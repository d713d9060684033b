/**
 * Sliding windows evaluated at every event, end to end: random events (few keys, many equal
 * timestamps, nulls, out-of-order arrival, random lateness) are written to a JSON-lines file, a
 * random feature set is written as YAML, and `replay` runs it. Every row of the output events
 * table is compared with DuckDB window SQL over the same file and with a naive O(n²) loop; the
 * late events are checked against both as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tables.js';
import { cutsArb, eventsArb, featuresArb } from './helpers/arbitraries.js';
import { compareTable } from './helpers/compare.js';
import { duckFeatures, loadEvents, openDuck, type Duck } from './helpers/duck.js';
import { lateCount, runRecut, runReplay } from './helpers/engine.js';
import { configYaml, outputColumns, splitLate, timeOrder, writeEvents, type FeatureSpec } from './helpers/model.js';
import type { EventsCase } from './helpers/arbitraries.js';

describe('sliding windows: Tributary replay = DuckDB window SQL = naive loop', () => {
  const root = tempDir('tributary-oracle-');
  let duck: Duck;
  beforeAll(async () => {
    duck = await openDuck();
  });
  afterAll(() => {
    duck?.close();
    root.remove();
  });

  /** Replay one case and compare; returns the problems found. */
  async function check(c: EventsCase, features: FeatureSpec[], cuts?: number[]): Promise<string[]> {
    const dir = mkdtempSync(join(root.dir, 'run-'));
    try {
      const file = join(dir, 'ev.jsonl');
      writeEvents(file, c.events);
      const text = configYaml('oracle', [{ name: 'ev', file: 'ev.jsonl', lateness: c.lateness }], features);
      const columns = features.flatMap((f) => outputColumns(f).map((o) => o.column));
      const run = await runReplay(text, dir, join(dir, 'data'), { ev: columns });

      const { accepted, late } = splitLate(c.events, c.lateness);
      const loaded = await loadEvents(duck, 'ev', file, c.lateness);
      const problems: string[] = [];
      if (loaded.lateIds.join() !== late.map((e) => e.id).join()) problems.push(`DuckDB finds late ids [${loaded.lateIds}], the naive loop [${late.map((e) => e.id)}]`);
      if (lateCount(run.summary, 'ev') !== late.length) problems.push(`tributary reports ${lateCount(run.summary, 'ev')} late dead letters, expected ${late.length}`);
      if (run.summary.events.ev !== c.events.length) problems.push(`tributary replayed ${run.summary.events.ev} events, the file has ${c.events.length}`);
      const want = { ordered: timeOrder(accepted), features };
      const d = await duckFeatures(duck, 'ev', features);
      problems.push(...compareTable('replay', run.tables.get('ev')!, want, d));

      if (cuts !== undefined) {
        const again = await runRecut(text, dir, join(dir, 'data'), cuts, { ev: columns });
        if ((again.late.ev ?? 0) !== late.length) problems.push(`re-cut run: ${again.late.ev ?? 0} late, expected ${late.length}`);
        problems.push(...compareTable(`re-cut [${cuts}]`, again.tables.get('ev')!, want, d));
      }
      if (problems.length > 0) problems.unshift(`config:\n${text}`);
      return problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a worked example: half-open and inclusive windows, ties, a late event, first/last on ties', async () => {
    // Arrival order as listed; times 0, 5, 5, 10, 16 with one event arriving late (t=2 after t=10, lateness 6 ms).
    const rows: [number, string, number | null][] = [
      [0, 'a', 1],
      [5, 'a', 2],
      [10, 'a', 4],
      [2, 'a', 100], // 8 ms behind the newest: late
      [5, 'a', 3], // 5 ms behind, allowed: sorted in among the t=5 events, after them (arrival order)
      [16, 'a', null],
      [16, 'b', 7],
    ];
    const events = rows.map(([t, k, v], seq) => ({ seq, id: 100 + seq, t, k, c: 'a', s: 'x', v }));
    const features: FeatureSpec[] = [
      { name: 'h', source: 'ev', ops: ['count', 'sum', 'first', 'last'], opsListed: true, column: 'v', windows: [10], windowsListed: false, inclusive: false },
      { name: 'i', source: 'ev', ops: ['count', 'last'], opsListed: true, column: 'v', windows: [10], windowsListed: false, inclusive: true },
    ];
    const dir = mkdtempSync(join(root.dir, 'example-'));
    writeEvents(join(dir, 'ev.jsonl'), events);
    const text = configYaml('example', [{ name: 'ev', file: 'ev.jsonl', lateness: 6 }], features);
    const run = await runReplay(text, dir, join(dir, 'data'), { ev: ['h_count', 'h_sum', 'h_first', 'h_last', 'i_count', 'i_last'] });
    const t = run.tables.get('ev')!;
    expect(run.summary.deadLetters).toEqual({ ev: { late: 1 } });
    // Time order, ties in arrival order; the late event (id 103) has no row.
    expect(t.ids).toEqual([100, 101, 104, 102, 105, 106]);
    expect(t.times).toEqual([0, 5, 5, 10, 16, 16]);
    // [t-10, t): at 5 only t=0; at 10 all of 0, 5, 5; at 16 [6, 16) holds t=10 only.
    expect(t.columns.get('h_count')).toEqual([0, 1, 1, 3, 1, 0]);
    expect(t.columns.get('h_sum')).toEqual([null, 1, 1, 6, 4, null]);
    expect(t.columns.get('h_first')).toEqual([null, 1, 1, 1, 4, null]);
    expect(t.columns.get('h_last')).toEqual([null, 1, 1, 3, 4, null]);
    // [t-10, t]: both t=5 events see each other; the null value at 16 counts for nothing.
    expect(t.columns.get('i_count')).toEqual([1, 3, 3, 4, 1, 1]);
    expect(t.columns.get('i_last')).toEqual([1, 3, 3, 4, 4, 7]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('random events, ops, windows (1-3 sizes), inclusive or not, lateness', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), featuresArb('ev', 'f'), async (c, features) => {
        const problems = await check(c, features);
        expect(problems).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('the same with the input cut into small batches (in-process, from the event log)', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), featuresArb('ev', 'f', {}, 2), cutsArb, async (c, features, cuts) => {
        const problems = await check(c, features, cuts);
        expect(problems).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
