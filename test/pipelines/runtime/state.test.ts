/**
 * Checkpoints: every stateful operator is fed part of its input, the runtime's StateStore is
 * snapshotted and passed through structuredClone (what a checkpoint does), a fresh runtime is
 * restored from it and fed the rest. The results must equal an uninterrupted run.
 */
import fc from 'fast-check';
import { map, pipe, Subject, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BASIC_OP_NAMES as OP_NAMES } from '../../../src/pipelines/aggregations/catalog.js';
import { makeBatch, watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import type { Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { reorder } from '../../../src/pipelines/operators/reorder.js';
import { sessionAggregate } from '../../../src/pipelines/operators/sessionAggregate.js';
import { slidingAggregate } from '../../../src/pipelines/operators/slidingAggregate.js';
import { windowAggregate } from '../../../src/pipelines/operators/windowAggregate.js';
import { createRuntime, type Rejection, type RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { StateStore, type Checkpointable } from '../../../src/pipelines/runtime/state.js';
import { allRows, batchesOf, cutsArb, evArb, runOp, runWithRestart, type Ev } from '../operators/helpers.js';

class Counter implements Checkpointable {
  n = 0;
  snapshot(): unknown {
    return { n: this.n };
  }
  restore(s: unknown): void {
    this.n = (s as { n: number }).n;
  }
}

describe('StateStore', () => {
  it('makes a state once per step and name, and snapshots it under "<step>/<name>"', () => {
    const store = new StateStore();
    let made = 0;
    const create = () => {
      made++;
      return new Counter();
    };
    const a = store.handle('count#1').get('n', create);
    a.n = 3;
    expect(store.handle('count#1').get('n', create)).toBe(a);
    store.handle('count#2').get('n', create).n = 5;
    expect(made).toBe(2);
    expect(store.keys()).toEqual(['count#1/n', 'count#2/n']);
    expect(store.snapshot()).toEqual({ 'count#1/n': { n: 3 }, 'count#2/n': { n: 5 } });
  });

  it('revives a saved state when its step first asks, and keeps the ones never asked for', () => {
    const restored = new StateStore(structuredClone({ 'a/n': { n: 7 }, 'b/n': { n: 9 } }));
    const a = restored.handle('a').get('n', () => new Counter());
    expect(a.n).toBe(7);
    a.n++;
    expect(restored.keys()).toEqual(['a/n', 'b/n']);
    expect(restored.snapshot()).toEqual({ 'a/n': { n: 8 }, 'b/n': { n: 9 } });
    // A fresh state for a step that had none saved.
    expect(restored.handle('c').get('n', () => new Counter()).n).toBe(0);
  });
});

describe('createRuntime', () => {
  it('collects rejections with their source and step, or hands them to a callback', () => {
    const rt = createRuntime();
    rt.step('s1', 'trades').reject({ time: 5, reason: 'late' });
    expect(rt.rejections).toEqual([{ source: 'trades', step: 's1', time: 5, reason: 'late' }]);
    const seen: Rejection[] = [];
    const rt2 = createRuntime(undefined, (r) => seen.push(r));
    rt2.step('s2', 'logins').reject({ time: 1, offset: 4, reason: 'x' });
    expect(seen).toEqual([{ source: 'logins', step: 's2', time: 1, offset: 4, reason: 'x' }]);
    expect(rt2.rejections).toEqual([]);
    expect(rt2.step('s2', 'logins').state.stepId).toBe('s2');
  });
});

/** Events with a numeric key column (`kn`) instead of a dictionary one: what reorder can checkpoint today. */
function numericBatches(evs: readonly Ev[], sizes: number[]): Batch[] {
  const dict = new Dictionary();
  return batchesOf(evs, sizes, dict).map((b) => {
    const key = b.columns.key as Extract<Column, { type: 'dictionary' }>;
    const kn: Column = { type: 'float64', values: Float64Array.from(key.codes, (c) => (c < 0 ? 0 : 10 + c)), ...(key.validity && { validity: key.validity }) };
    const { key: _drop, ...rest } = b.columns;
    return makeBatch(b.time, { ...rest, kn }, { offsets: b.offsets! });
  });
}

type Build = (rt: RuntimeContext) => OperatorFunction<Batch, Batch>;

/** Uninterrupted vs. restarted after batch `at`: same rows, same rejections. */
async function expectRestartInvisible(batches: Batch[], at: number, build: Build): Promise<void> {
  const whole = await runOp(batches, build);
  const restarted = await runWithRestart(batches, at, build);
  expect(allRows(restarted.out)).toEqual(allRows(whole.out));
  expect(restarted.rejections).toEqual(whole.rejections);
}

const OUTPUTS = OP_NAMES.map((op) => ({ column: `o_${op}`, op }));

const BUILDS: { name: string; numeric: boolean; build: Build }[] = [
  { name: 'reorder (numeric columns)', numeric: true, build: (rt) => reorder(rt.step('reorder', 'events'), 6) },
  {
    name: 'keyBy (dictionary x numeric key)',
    numeric: false,
    build: (rt) =>
      pipe(
        keyBy(rt.step('keys', 'events'), ['key', 'v']),
        // Keep the codes as a column so that the comparison sees them.
        map((b): Batch => ({ ...b, columns: { ...b.columns, code: { type: 'int32', values: b.keys } } })),
      ),
  },
  {
    name: 'windowAggregate (hopping, size 10 every 4)',
    numeric: false,
    build: (rt) =>
      pipe(
        keyBy(rt.step('keys', 'events'), ['key']),
        windowAggregate(rt.step('windows', 'events'), { size: 10, every: 4, offset: 1, lateness: 5, valueColumn: 'v', outputs: OUTPUTS }),
      ),
  },
  {
    name: 'sessionAggregate',
    numeric: false,
    build: (rt) => pipe(keyBy(rt.step('keys', 'events'), ['key']), sessionAggregate(rt.step('sessions', 'events'), { gap: 6, lateness: 5, valueColumn: 'v', outputs: OUTPUTS })),
  },
  {
    name: 'reorder -> keyBy (numeric) -> slidingAggregate',
    numeric: true,
    build: (rt) =>
      pipe(
        reorder(rt.step('reorder', 'events'), 6),
        keyBy(rt.step('keys', 'events'), ['kn']),
        slidingAggregate(rt.step('sliding', 'events'), {
          valueColumn: 'v',
          outputs: [
            { column: 'sum10', op: 'sum', size: 10 },
            { column: 'n5', op: 'count', size: 5 },
            { column: 'last', op: 'last', size: Infinity },
          ],
        }),
      ),
  },
];

describe('checkpoint and restore of every stateful operator', () => {
  for (const { name, numeric, build } of BUILDS) {
    it(`${name}: a restart anywhere changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(evArb({ lo: 0, hi: 60, maxLength: 40, nullKeys: true, nullValues: true }), cutsArb, fc.nat(), async (evs, sizes, atRaw) => {
          const dict = new Dictionary();
          // The restart happens before the last batch: restored states then see at least one batch.
          const batches = numeric ? numericBatches(evs, sizes) : batchesOf(evs, sizes, dict);
          await expectRestartInvisible(batches, atRaw % batches.length, build);
        }),
        { numRuns: 120 },
      );
    });
  }

  it('snapshots are plain data (no class instances), unchanged by structuredClone', () => {
    const dict = new Dictionary();
    const evs: Ev[] = [3, 1, 7, 2, 9, 30].map((t, i) => ({ t, key: i % 2 ? 'a' : 'b', v: i, on: true }));
    for (const { build, numeric } of BUILDS) {
      const rt = createRuntime();
      const input = new Subject<Batch>();
      const sub = input.pipe(build(rt)).subscribe();
      for (const b of numeric ? numericBatches(evs, [2]) : batchesOf(evs, [2], dict)) input.next(b);
      sub.unsubscribe();
      const snap = rt.store.snapshot();
      expect(Object.keys(snap).length).toBeGreaterThan(0);
      expectPlain(snap, 'snapshot');
      expect(structuredClone(snap)).toEqual(snap);
    }
  });

  // Held rows are snapshotted with their dictionaries as plain values, then moved back onto the live
  // dictionaries by the first batch after the restore.
  it('reorder with a dictionary column: a restart changes nothing', async () => {
    const dict = new Dictionary();
    const evs: Ev[] = [5, 1, 9, 7, 20].map((t, i) => ({ t, key: i % 2 ? 'a' : 'b', v: i, on: true }));
    await expectRestartInvisible(batchesOf(evs, [2, 2], dict), 1, (rt) => reorder(rt.step('reorder', 'events'), 10));
  });

  // Windows closed right after a restart must still decode their keys: the KeySpace snapshot keeps
  // its dictionaries, and keyBy hands the key space downstream when the input ends.
  it('windows closed right after a restore keep their key values', async () => {
    const dict = new Dictionary();
    const evs: Ev[] = [{ t: 1, key: 'a', v: 1, on: true }, { t: 2, key: 'b', v: 2, on: true }];
    const batches = [...batchesOf(evs, [], dict), watermarkBatch(100)];
    const build: Build = (rt) => pipe(keyBy(rt.step('keys', 'events'), ['key']), windowAggregate(rt.step('windows', 'events'), { size: 10, every: 10, lateness: 0, outputs: [{ column: 'n', op: 'count' }] }));
    const whole = await runOp(batches, build);
    expect(allRows(whole.out, ['key', 'n'])).toEqual([
      { time: 10, key: 'a', n: 1 },
      { time: 10, key: 'b', n: 1 },
    ]);
    const restarted = await runWithRestart(batches, 1, build);
    expect(allRows(restarted.out, ['key', 'n'])).toEqual(allRows(whole.out, ['key', 'n']));
  });
});

/** Only what structuredClone keeps as it is: primitives, arrays, plain objects, typed arrays, Maps and Sets. */
function expectPlain(x: unknown, path: string): void {
  if (x === null || typeof x !== 'object') {
    if (typeof x === 'function') throw new Error(`${path} is a function`);
    return;
  }
  if (ArrayBuffer.isView(x)) return;
  if (x instanceof Map) {
    for (const [k, v] of x) expectPlain(v, `${path}.get(${String(k)})`);
    return;
  }
  if (x instanceof Set) return;
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    throw new Error(`${path} is an instance of ${(x as object).constructor.name}: structuredClone drops its class`);
  }
  for (const [k, v] of Object.entries(x)) expectPlain(v, `${path}.${k}`);
}
