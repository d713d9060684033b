import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import { FeatureTable } from '../../../src/store/features/featureTable.js';
import { EVENTS_SPEC, eventBatch, type EventRow } from './fixtures/tables.js';

const CARDS = ['c0', 'c1', 'c2'];
const USERS = ['u0', 'u1'];

const rowArb = fc.record({
  ts: fc.integer({ min: 0, max: 40 }),
  card_id: fc.constantFrom(...CARDS),
  user_id: fc.constantFrom(...USERS),
  spend: fc.constant(1),
  logins: fc.constant(1),
});
const queryArb = fc.record({
  t: fc.integer({ min: -2, max: 45 }),
  card: fc.constantFrom(...CARDS, 'never'),
  user: fc.constantFrom(...USERS),
});
const optsArb = fc.record({ strict: fc.boolean(), tolerance: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }) });

type By = 'card' | 'user' | 'both';

/** The naive answer: scan every row; the latest matching time wins, the last appended among equal times. */
function naive(rows: readonly EventRow[], q: { t: number; card: string; user: string }, by: By, o: { strict: boolean; tolerance?: number }): number {
  let best = -1;
  rows.forEach((r, i) => {
    if ((by !== 'user' && r.card_id !== q.card) || (by !== 'card' && r.user_id !== q.user)) return;
    if (o.strict ? !(r.ts < q.t) : !(r.ts <= q.t)) return;
    if (o.tolerance !== undefined && q.t - r.ts > o.tolerance) return;
    if (best < 0 || r.ts >= rows[best]!.ts) best = i;
  });
  return best;
}

function keysFor(queries: readonly { card: string; user: string }[], by: By): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  if (by !== 'user') keys.card_id = queries.map((q) => q.card);
  if (by !== 'card') keys.user_id = queries.map((q) => q.user);
  return keys;
}

describe('as-of index', () => {
  it('matches a naive scan (rows appended in time order, through the store)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 60 }), fc.array(queryArb, { minLength: 1, maxLength: 20 }), optsArb, fc.constantFrom<By>('card', 'user', 'both'), async (raw, queries, o, by) => {
        const rows = [...raw].sort((a, b) => a.ts - b.ts);
        const store = FeatureStore.inMemory({ chunkRows: 8 });
        await store.defineTable(EVENTS_SPEC);
        // Two appends with a query in between: the index must notice the new rows.
        const half = rows.length >> 1;
        store.append('txns', eventBatch(rows.slice(0, half)));
        store.asOf('txns', keysFor(queries, by), queries.map((q) => q.t), o);
        store.append('txns', eventBatch(rows.slice(half)));
        const got = store.asOf('txns', keysFor(queries, by), queries.map((q) => q.t), o);
        expect([...got]).toEqual(queries.map((q) => naive(rows, q, by, o)));
      }),
      { numRuns: 300 },
    );
  });

  it('matches a naive scan when rows of a key arrive out of time order', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.array(queryArb, { minLength: 1, maxLength: 20 }), optsArb, fc.constantFrom<By>('card', 'user', 'both'), (rows, queries, o, by) => {
        const table = new FeatureTable(EVENTS_SPEC, 8);
        // Trusted appends skip row identity, so unordered rows all land.
        table.append(eventBatch(rows), true);
        expect(table.length).toBe(rows.length);
        const got = table.asOf(keysFor(queries, by), queries.map((q) => q.t), o);
        expect([...got]).toEqual(queries.map((q) => naive(rows, q, by, o)));
      }),
      { numRuns: 300 },
    );
  });

  it('takes key columns as dictionary columns, translating codes once', async () => {
    const store = FeatureStore.inMemory();
    await store.defineTable(EVENTS_SPEC);
    const rows: EventRow[] = [
      { ts: 10, card_id: 'a', user_id: 'u', spend: 1, logins: 1 },
      { ts: 20, card_id: 'b', user_id: 'u', spend: 2, logins: 1 },
    ];
    store.append('txns', eventBatch(rows));
    const d = new Dictionary(['zz', 'b', 'a']);
    const cards = { type: 'dictionary' as const, codes: Int32Array.of(2, 1, 0, 1), dictionary: d, validity: Uint8Array.of(0b0111) };
    expect([...store.asOf('txns', { card_id: cards }, [11, 21, 30, 30])]).toEqual([0, 1, -1, -1]);
    expect(() => store.asOf('txns', { crd_id: ['a'] }, [1])).toThrow(/no key column "crd_id"; did you mean "card_id"\?/);
  });
});
