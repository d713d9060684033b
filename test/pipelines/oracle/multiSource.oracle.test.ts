/**
 * Two sources in one feature set, each with its own file, lateness and features (and one feature
 * definition written on both): each source's events table must equal what DuckDB and the naive
 * loop compute from that source alone. Sources share column names and key values ("k0" in both),
 * so any mixing of their keys, dictionaries, state or late events shows up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tables.js';
import { cutsArb, eventsArb, featureArb, featuresArb, type EventsCase } from './helpers/arbitraries.js';
import { compareTable } from './helpers/compare.js';
import { duckFeatures, loadEvents, openDuck, type Duck } from './helpers/duck.js';
import { lateCount, runRecut, runReplay } from './helpers/engine.js';
import { configYaml, idFor, outputColumns, splitLate, timeOrder, writeEvents, type Ev, type FeatureSpec } from './helpers/model.js';

/** Give source b's events ids of their own, and shift its times, so that the sources interleave unevenly. */
function asSourceB(c: EventsCase, shift: number): EventsCase {
  return { ...c, events: c.events.map((e): Ev => ({ ...e, id: 500_000 + idFor(e.seq), t: e.t + shift })) };
}

describe('two sources: features on each, no interference', () => {
  const root = tempDir('tributary-oracle-');
  let duck: Duck;
  beforeAll(async () => {
    duck = await openDuck();
  });
  afterAll(() => {
    duck?.close();
    root.remove();
  });

  it('each source table equals DuckDB and the naive loop over that source alone', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        eventsArb({ maxLength: 80 }),
        eventsArb({ maxLength: 80 }),
        fc.constantFrom(-40, 0, 7, 1000),
        featuresArb('a', 'fa', {}, 2),
        featuresArb('b', 'fb', {}, 2),
        featureArb('same', 'a'),
        fc.option(cutsArb, { freq: 2 }),
        async (ca, cbRaw, shift, fa, fb, same, cuts) => {
          const cb = asSourceB(cbRaw, shift);
          // One definition on both sources: two features (different names, different sources).
          const features: Record<'a' | 'b', FeatureSpec[]> = {
            a: [...fa, same],
            b: [...fb, { ...same, name: 'same_b', source: 'b' }],
          };
          const cases = { a: ca, b: cb };
          const dir = mkdtempSync(join(root.dir, 'run-'));
          try {
            for (const s of ['a', 'b'] as const) writeEvents(join(dir, `${s}.jsonl`), cases[s].events);
            const text = configYaml(
              'two',
              (['a', 'b'] as const).map((s) => ({ name: s, file: `${s}.jsonl`, lateness: cases[s].lateness })),
              [...features.a, ...features.b],
            );
            const wanted = {
              a: features.a.flatMap((f) => outputColumns(f).map((o) => o.column)),
              b: features.b.flatMap((f) => outputColumns(f).map((o) => o.column)),
            };
            const run = await runReplay(text, dir, join(dir, 'data'), wanted);
            const again = cuts === null ? undefined : await runRecut(text, dir, join(dir, 'data'), cuts, wanted);
            const problems: string[] = [];
            for (const s of ['a', 'b'] as const) {
              const c = cases[s];
              const { accepted, late } = splitLate(c.events, c.lateness);
              const loaded = await loadEvents(duck, s, join(dir, `${s}.jsonl`), c.lateness);
              if (loaded.lateIds.join() !== late.map((e) => e.id).join()) problems.push(`${s}: DuckDB and the naive loop disagree on late events`);
              if (lateCount(run.summary, s) !== late.length) problems.push(`${s}: ${lateCount(run.summary, s)} late dead letters, expected ${late.length}`);
              if (run.summary.events[s] !== c.events.length) problems.push(`${s}: replayed ${run.summary.events[s]} events, expected ${c.events.length}`);
              const want = { ordered: timeOrder(accepted), features: features[s] };
              const d = await duckFeatures(duck, s, features[s]);
              problems.push(...compareTable(`replay ${s}`, run.tables.get(s)!, want, d));
              if (again !== undefined) {
                if ((again.late[s] ?? 0) !== late.length) problems.push(`re-cut ${s}: ${again.late[s] ?? 0} late, expected ${late.length}`);
                problems.push(...compareTable(`re-cut [${cuts}] ${s}`, again.tables.get(s)!, want, d));
              }
            }
            if (problems.length > 0) problems.unshift(`config:\n${text}`);
            expect(problems).toEqual([]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
