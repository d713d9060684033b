import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, tableFromIPC, type Table } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createTaskPool, type TaskPool } from '../../../src/actors/pool/taskPool.js';
import type { OpName } from '../../../src/pipelines/aggregations/catalog.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { generateSamples, type SampleDomain } from '../../../src/sdk/samples/index.js';
import { assembleSet, type FeatureLabelSet } from '../../../src/store/labels/assemble.js';
import { labelCommand } from '../../../src/cli/commands/label.js';
import { buildSets } from '../../../src/store/labels/buildSets.js';
import { MemoryEvents, MemoryTables } from '../../../src/store/labels/memorySources.js';
import { ASSEMBLE_TASK_MODULE, PARALLEL_MIN_ROWS, rangeBounds, WARM_SHARE } from '../../../src/store/labels/parallelAssemble.js';
import { tempDir } from '../../helpers/tables.js';
import { batchOf, compileText, type Cell } from './helpers.js';

/**
 * Parallel assembly (the spine cut into time ranges, each assembled on the task pool) must give the
 * single-thread set exactly: same rows, same order, same values, same nulls, same metadata. Checked
 * byte for byte on the Arrow IPC encoding of the two tables, on random data built to stress the
 * range edges: few distinct times (ties at exactly t, also across a range edge), nulls in values and
 * keys, many keys, keys that live only early or only late (so only in one range), composite keys,
 * tables out of time order, bool features, tolerance, inference, `where`, every label op and kind.
 */

const pool = createTaskPool({ threads: 3, preload: [ASSEMBLE_TASK_MODULE] });
afterAll(() => pool.close());

/** The pool, counting the tasks it was given (to show the parallel path ran). */
function counting(p: TaskPool): { pool: TaskPool; tasks: () => number } {
  let tasks = 0;
  const wrapped: TaskPool = {
    get threads() {
      return p.threads;
    },
    get started() {
      return p.started;
    },
    get closed() {
      return p.closed;
    },
    run: (module, fn, payload, opts) => {
      tasks++;
      return p.run(module, fn, payload, opts);
    },
    warm: () => p.warm(),
    close: () => p.close(),
  };
  return { pool: wrapped, tasks: () => tasks };
}

const OPS: OpName[] = ['count', 'sum', 'mean', 'min', 'max', 'first', 'last', 'variance', 'std', 'count_distinct'];
const T = 400; // times in [0, T): few distinct values, so ties are everywhere

interface Row {
  /** 0..39 shared keys; 40..42 live only early, 43..45 only late; -1 a null key. */
  key: number;
  t: number;
  v: number | null;
}

const rowArb = fc.record({
  key: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 45 }) }, { weight: 1, arbitrary: fc.constant(-1) }),
  t: fc.integer({ min: 0, max: T - 1 }),
  v: fc.option(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { nil: null, freq: 6 }),
});

const caseArb = fc.record({
  // size 'max': lengths spread over the whole range (fast-check's default keeps arrays short).
  spine: fc.array(rowArb, { minLength: 0, maxLength: 260, size: 'max' }),
  clicks: fc.array(rowArb, { maxLength: 200, size: 'max' }),
  shops: fc.array(rowArb, { maxLength: 120, size: 'max' }),
  pairs: fc.array(rowArb, { maxLength: 120, size: 'max' }),
  events: fc.array(rowArb, { maxLength: 200, size: 'max' }),
  op: fc.constantFrom(...OPS),
  kind: fc.constantFrom('lookahead', 'event_within', 'next_period'),
  horizon: fc.integer({ min: 1, max: 80 }),
  period: fc.integer({ min: 1, max: 60 }),
  periods: fc.integer({ min: 1, max: 3 }),
  offset: fc.integer({ min: 0, max: 59 }),
  tolerance: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
  inference: fc.boolean(),
  where: fc.boolean(),
  sortTables: fc.boolean(),
  boolShops: fc.boolean(),
  partitions: fc.integer({ min: 2, max: 5 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

/** Keys that live only early (only late) get their times squeezed into the first (last) eighth. */
function placed(rows: readonly Row[]): Row[] {
  return rows.map((r) => {
    if (r.key >= 40 && r.key <= 42) return { ...r, t: r.t % (T / 8) };
    if (r.key >= 43) return { ...r, t: T - 1 - (r.t % (T / 8)) };
    return r;
  });
}

const user = (k: number): string | null => (k < 0 ? null : k >= 43 ? `late${k}` : k >= 40 ? `early${k}` : `u${k}`);
const shop = (k: number): string | null => (k < 0 ? null : `s${k % 7}`);

function labelYaml(c: Case): string {
  const column = c.op === 'count' ? '' : 'column: x, ';
  if (c.kind === 'event_within') return `{ name: fut, source: payouts, key: user, kind: event_within, horizon: ${c.horizon}ms }`;
  if (c.kind === 'next_period') return `{ name: fut, source: payouts, key: user, kind: next_period, op: ${c.op}, ${column}period: ${c.period}ms, periods: ${c.periods}, offset: ${c.offset}ms }`;
  return `{ name: fut, source: payouts, key: user, op: ${c.op}, ${column}horizon: ${c.horizon}ms }`;
}

function configText(c: Case): string {
  return `
name: par
sources:
  orders: { time: t, keys: [user, shop], columns: { user: string, shop: string, amount: float64 } }
  clicks: { time: t, keys: [user], columns: { user: string, v: float64 } }
  shops: { time: t, keys: [shop], columns: { shop: string, v: float64 } }
  pairs: { time: t, keys: [user, shop], columns: { user: string, shop: string, v: float64 } }
  payouts: { time: t, keys: [user], columns: { user: string, x: float64 } }
features:
  - { name: clicks_v, source: clicks, op: sum, column: v, window: 1h }
  - { name: shop_v, source: shops, op: max, column: v, window: 1h }
  - { name: pair_v, source: pairs, op: mean, column: v, window: 1h }
  - { name: mixed, expr: "clicks_v + shop_v" }
labels:
  - ${labelYaml(c)}
sets:
  - name: s
    spine: orders
    features: [clicks_v, shop_v, pair_v, mixed]
    label: fut
    inference: ${c.inference}${c.tolerance === undefined ? '' : `\n    tolerance: ${c.tolerance}ms`}${c.where ? '\n    where: "amount > -20"' : ''}
`;
}

function table(rows: readonly Row[], column: string, sort: boolean, keys: 'user' | 'shop' | 'pair', bool = false): Batch {
  const ordered = sort ? rows.map((r, j) => ({ r, j })).sort((a, b) => a.r.t - b.r.t || a.j - b.j).map((x) => x.r) : rows;
  const cols: Record<string, Cell[]> = {};
  if (keys !== 'shop') cols.user = ordered.map((r) => user(r.key));
  if (keys !== 'user') cols.shop = ordered.map((r) => shop(r.key));
  cols[column] = ordered.map((r) => r.v);
  const b = batchOf(ordered.map((r) => r.t), cols);
  if (!bool) return b;
  // A bool feature column (0/1 bytes): joined values become 1 and 0, as one thread converts them.
  const src = b.columns[column]!;
  const values = Uint8Array.from(ordered, (r) => (r.v !== null && r.v > 0 ? 1 : 0));
  return { ...b, columns: { ...b.columns, [column]: src.validity ? { type: 'bool', values, validity: src.validity } : { type: 'bool', values } } };
}

function inputsOf(c: Case) {
  const spine = placed(c.spine);
  return {
    tables: new MemoryTables({
      clicks: [table(placed(c.clicks), 'clicks_v', c.sortTables, 'user')],
      shops: [table(placed(c.shops), 'shop_v', c.sortTables, 'shop', c.boolShops)],
      pairs: [table(placed(c.pairs), 'pair_v', !c.sortTables, 'pair')],
    }),
    events: new MemoryEvents({
      orders: [batchOf(spine.map((r) => r.t), { user: spine.map((r) => user(r.key)), shop: spine.map((r) => shop(r.key)), amount: spine.map((r) => r.v ?? 0) })],
      payouts: [table(placed(c.events), 'x', false, 'user')],
    }),
  };
}

function expectSame(single: FeatureLabelSet, parallel: FeatureLabelSet): void {
  expect(parallel.counts).toEqual(single.counts);
  expect(parallel.labelBalance).toEqual(single.labelBalance);
  expect(bytes(parallel.matrix).equals(bytes(single.matrix))).toBe(true);
  expectSameTable(single.table, parallel.table);
}

const bytes = (x: ArrayBufferView): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

/**
 * Two tables hold the same thing: schema (names, types, metadata), rows, and for number columns the
 * very bytes of their values and the same nulls. (Their IPC bytes differ anyway: Arrow numbers
 * dictionaries from a process-wide counter.)
 */
function expectSameTable(a: Table, b: Table): void {
  expect(b.numRows).toBe(a.numRows);
  expect(b.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(a.schema.fields.map((f) => `${f.name}: ${String(f.type)}`));
  expect(Object.fromEntries(b.schema.metadata)).toEqual(Object.fromEntries(a.schema.metadata));
  for (const f of a.schema.fields) {
    const x = a.getChild(f.name)!;
    const y = b.getChild(f.name)!;
    expect(y.nullCount, `nulls of ${f.name}`).toBe(x.nullCount);
    for (let i = 0; i < a.numRows; i++) {
      const u = x.get(i);
      const w = y.get(i);
      const same = Object.is(u, w) || (typeof u === 'object' && u !== null && JSON.stringify(u) === JSON.stringify(w));
      if (!same) throw new Error(`column ${f.name} row ${i}: one thread ${String(u)}, parallel ${String(w)}`);
    }
    if (DataType.isFloat(f.type)) {
      const xs = x.data.map((d) => bytes(d.values as Float64Array));
      const ys = y.data.map((d) => bytes(d.values as Float64Array));
      expect(Buffer.concat(ys).equals(Buffer.concat(xs)), `values of ${f.name}`).toBe(true);
    }
  }
}

describe('parallel label assembly equals the single-thread assembly', () => {
  it('on random data: ties, nulls, many keys, keys in one range only, every label op', async () => {
    let parallelRuns = 0;
    const numRuns = 150;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const compiled = compileText(configText(c));
        const single = await assembleSet(compiled, 's', inputsOf(c));
        const spy = counting(pool);
        const parallel = await assembleSet(compiled, 's', inputsOf(c), { pool: spy.pool, parallel: { minRows: 0, partitions: c.partitions } });
        expectSame(single, parallel);
        // The pool did the work whenever there were two ranges of 8 rows to cut.
        if (single.counts.kept >= 16) expect(spy.tasks()).toBeGreaterThanOrEqual(2);
        if (spy.tasks() >= 2) parallelRuns++;
      }),
      { numRuns },
    );
    expect(parallelRuns, 'runs that took the parallel path').toBeGreaterThan(numRuns / 2);
  });

  it('ties at exactly t on both sides of a range edge', async () => {
    // 64 spine rows all at t = 10 or 11, so every range edge splits a run of equal times; the
    // feature rows at exactly those times must not be seen (strictly before), wherever the edge falls.
    const spineT = Array.from({ length: 64 }, (_, i) => (i < 30 ? 10 : 11));
    const users = spineT.map((_, i) => `u${i % 5}`);
    const compiled = compileText(`
name: ties
sources:
  orders: { time: t, keys: [user], columns: { user: string } }
  clicks: { time: t, keys: [user], columns: { user: string, v: float64 } }
  payouts: { time: t, keys: [user], columns: { user: string, x: float64 } }
features:
  - { name: clicks_v, source: clicks, op: sum, column: v, window: 1h }
labels:
  - { name: fut, source: payouts, op: sum, column: x, horizon: 1ms }
sets:
  - { name: s, spine: orders, features: [clicks_v], label: fut }
`);
    const inputs = () => ({
      tables: new MemoryTables({ clicks: [batchOf([9, 10, 10, 11, 11, 12], { user: ['u0', 'u0', 'u1', 'u1', 'u2', 'u0'], clicks_v: [1, 2, 3, 4, 5, 6] })] }),
      events: new MemoryEvents({
        orders: [batchOf(spineT, { user: users })],
        payouts: [batchOf([10, 11, 11, 12, 12, 13], { user: ['u0', 'u0', 'u1', 'u1', 'u2', 'u3'], x: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] })],
      }),
    });
    const single = await assembleSet(compiled, 's', inputs());
    for (const partitions of [2, 3, 4, 7]) {
      const spy = counting(pool);
      const parallel = await assembleSet(compiled, 's', inputs(), { pool: spy.pool, parallel: { minRows: 0, partitions } });
      expectSame(single, parallel);
      expect(spy.tasks()).toBe(rangeBounds(64, partitions, WARM_SHARE).length - 1);
      expect(spy.tasks()).toBeGreaterThanOrEqual(2);
    }
    // u0 at t = 10 sees the row at 9 only; at 11, the rows at 9 and 10 (the latest, 2).
    const v = single.table.getChild('clicks_v')!;
    expect(v.get(0)).toBe(1);
    expect(v.get(30)).toBe(2);
  });

  it('stays on the calling thread under the row threshold', async () => {
    const c = fc.sample(caseArb, { seed: 7, numRuns: 1 })[0]!;
    const spy = counting(pool);
    await assembleSet(compileText(configText(c)), 's', inputsOf(c), { pool: spy.pool });
    expect(spy.tasks()).toBe(0);
  });

  it('cuts ranges at multiples of 8 rows, later ones shorter (they warm up first)', () => {
    expect(rangeBounds(100, 3)).toEqual([0, 32, 64, 100]);
    expect(rangeBounds(20, 4)).toEqual([0, 8, 16, 20]);
    expect(rangeBounds(9, 3)).toEqual([0, 8, 9]);
    // Warm-up at a quarter of the cost: 2 ranges split 4:3, each costing 4/7 of one thread's work.
    expect(rangeBounds(7000, 2, 0.25)).toEqual([0, 4000, 7000]);
    const b = rangeBounds(1_000_000, 4, 0.25);
    const cost = (p: number) => b[p + 1]! - b[p]! + 0.25 * b[p]!;
    for (let p = 1; p < 4; p++) expect(Math.abs(cost(p) - cost(0))).toBeLessThan(16);
  });
});

describe('on a sample domain, end to end', () => {
  const tmp = tempDir('tributary-parallel-sets-');
  afterAll(() => tmp.remove());

  async function configFor(domain: SampleDomain, scale: number) {
    await generateSamples(domain, join(tmp.dir, 'data', 'samples', domain), { scale, seed: 5 });
    mkdirSync(join(tmp.dir, 'configs'), { recursive: true });
    const file = join(tmp.dir, 'configs', `${domain}.yaml`);
    writeFileSync(file, readFileSync(join('configs', `${domain}.yaml`)));
    return loadConfig(file, { dataDir: join(tmp.dir, 'state', domain) });
  }

  it.each([
    ['payments', 0.2],
    ['market', 0.1],
  ] as const)('%s: `label --threads 2` writes the same set file as one thread', async (domain, scale) => {
    const config = await configFor(domain, scale);
    const one = await buildSets(config, { out: join(tmp.dir, 'one', domain) });
    expect(one.replay, 'the first build replays').toBeDefined();
    const two = await buildSets(config, { out: join(tmp.dir, 'two', domain), threads: 2, parallel: { minRows: 0 } });
    expect(two.replay, 'the second build reuses the feature tables').toBeUndefined();
    expect(two.sets.map((s) => s.counts)).toEqual(one.sets.map((s) => s.counts));
    for (const [i, s] of one.sets.entries()) {
      expect(s.counts.kept).toBeGreaterThan(100);
      expect(s.counts.kept, 'small enough that the default threshold keeps it on one thread').toBeLessThan(PARALLEL_MIN_ROWS);
      expect(readFileSync(two.sets[i]!.file).length, s.name).toBe(readFileSync(s.file).length);
      expectSameTable(tableFromIPC(readFileSync(s.file)), tableFromIPC(readFileSync(two.sets[i]!.file)));
    }
  });
});

describe('tributary label --threads', () => {
  it('takes a whole number of threads, 1 or more', async () => {
    const file = join('configs', 'payments.yaml');
    for (const threads of ['0', '-1', '1.5', 'two']) {
      await expect(labelCommand(file, { threads }, () => undefined)).rejects.toThrow(`--threads "${threads}": write a whole number of threads, 1 or more`);
    }
    await expect(buildSets(loadConfig(file), { threads: 0 })).rejects.toThrow(/threads must be a positive whole number/);
  });
});
