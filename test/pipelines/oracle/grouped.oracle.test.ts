/**
 * Sliding features grouped by a second column (`by:` — the group is (key, by-value)), filtered by
 * `where:` (every event still gets a row) and with `default:` for empty windows, end to end through
 * replay and compared with DuckDB and the naive loop. Also features with identical definitions,
 * which the compiler computes once and writes under both names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tables.js';
import { eventsArb, featuresArb, type EventsCase } from './helpers/arbitraries.js';
import { compareTable } from './helpers/compare.js';
import { duckFeatures, loadEvents, openDuck, type Duck } from './helpers/duck.js';
import { lateCount, runReplay } from './helpers/engine.js';
import { configYaml, outputColumns, splitLate, timeOrder, WHERES, writeEvents, type Ev, type FeatureSpec } from './helpers/model.js';

describe('grouped (by), filtered (where) and defaulted sliding features: replay = DuckDB = naive', () => {
  const root = tempDir('tributary-oracle-');
  let duck: Duck;
  beforeAll(async () => {
    duck = await openDuck();
  });
  afterAll(() => {
    duck?.close();
    root.remove();
  });

  async function check(c: EventsCase, features: FeatureSpec[]): Promise<string[]> {
    const dir = mkdtempSync(join(root.dir, 'run-'));
    try {
      const file = join(dir, 'ev.jsonl');
      writeEvents(file, c.events);
      const text = configYaml('grouped', [{ name: 'ev', file: 'ev.jsonl', lateness: c.lateness }], features);
      const columns = features.flatMap((f) => outputColumns(f).map((o) => o.column));
      const run = await runReplay(text, dir, join(dir, 'data'), { ev: columns });
      const { accepted, late } = splitLate(c.events, c.lateness);
      const loaded = await loadEvents(duck, 'ev', file, c.lateness);
      const problems: string[] = [];
      if (loaded.lateIds.join() !== late.map((e) => e.id).join()) problems.push(`DuckDB finds late ids [${loaded.lateIds}], the naive loop [${late.map((e) => e.id)}]`);
      if (lateCount(run.summary, 'ev') !== late.length) problems.push(`tributary reports ${lateCount(run.summary, 'ev')} late dead letters, expected ${late.length}`);
      problems.push(...compareTable('replay', run.tables.get('ev')!, { ordered: timeOrder(accepted), features }, await duckFeatures(duck, 'ev', features)));
      if (problems.length > 0) problems.unshift(`config:\n${text}`);
      return problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a worked example: by c, where v > 0, default -1', async () => {
    const rows: [number, string, number | null][] = [
      [0, 'a', 1],
      [1, 'b', 5],
      [2, 'a', -3],
      [3, 'a', 2],
      [3, 'b', null],
    ];
    const events: Ev[] = rows.map(([t, c, v], seq) => ({ seq, id: seq + 1, t, k: 'k0', c, s: null, v }));
    const g: FeatureSpec = {
      name: 'g',
      source: 'ev',
      ops: ['count', 'sum', 'max'],
      opsListed: true,
      column: 'v',
      windows: [10],
      windowsListed: false,
      inclusive: false,
      by: 'c',
      where: WHERES[0]!,
      default: -1,
    };
    const problems = await check({ events, lateness: 1000 }, [g]);
    expect(problems).toEqual([]);
    // And the values themselves, not only agreement: at t=3 group (k0, a) holds only v=1 (v=-3 is filtered out).
    const dir = mkdtempSync(join(root.dir, 'example-'));
    writeEvents(join(dir, 'ev.jsonl'), events);
    const run = await runReplay(configYaml('grouped', [{ name: 'ev', file: 'ev.jsonl', lateness: 1000 }], [g]), dir, join(dir, 'data'), { ev: ['g_count', 'g_sum', 'g_max'] });
    const t = run.tables.get('ev')!;
    expect(t.ids).toEqual([1, 2, 3, 4, 5]);
    expect(t.columns.get('g_count')).toEqual([-1, -1, 1, 1, 1]);
    expect(t.columns.get('g_sum')).toEqual([-1, -1, 1, 1, 5]);
    expect(t.columns.get('g_max')).toEqual([-1, -1, 1, 1, 5]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('random grouped, filtered, defaulted features', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(), featuresArb('ev', 'g', { grouped: true, filtered: true, defaulted: true }), async (c, features) => {
        expect(await check(c, features)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('features with identical definitions share one computation and both get the right columns', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb({ maxLength: 60 }), featuresArb('ev', 'g', { grouped: true, filtered: true }, 1), async (c, [f]) => {
        const twin: FeatureSpec = { ...f!, name: 'twin' };
        expect(await check(c, [f!, twin])).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
