import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/actors/executor.js';
import { runInProcess } from '../../../src/actors/inProcess.js';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column, valueAt } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { createRuntime, type Rejection } from '../../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';

/**
 * Lateness under threads. A worker sees only its keys, so on its own its watermark would trail the
 * source's, and it would accept events that one thread rejects as late. The main thread announces
 * the source's watermark before every row behind it: with out-of-order events over many keys, the
 * tables and the rejections must be exactly those of the local run, for sliding, tumbling and
 * session features, with 3 workers (and 1), and however the stream is cut into batches.
 */

const CONFIG = `
name: late
sources:
  ev:
    time: t
    time_format: epoch_ms
    keys: [k, m]
    lateness: 2s
    columns: { k: string, m: string, v: float64 }
features:
  - { name: s, source: ev, column: v, ops: [count, sum], window: 10s }
  - { name: by_m, source: ev, key: m, column: v, ops: [mean], window: 30s }
  - { name: tumble, source: ev, op: count, window: { tumbling: 5s } }
  - { name: pairs, source: ev, key: [k, m], op: count, window: { hopping: 10s, every: 5s } }
  - { name: sess, source: ev, key: m, op: count, window: { session: 3s } }
  - { name: ratio, expr: "s_sum / max(s_count, 1)" }
`;

function events(n: number, seed: number, batchRows: number): Batch[] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const k = new Dictionary();
  const m = new Dictionary();
  const t = new Float64Array(n);
  const kc = new Int32Array(n);
  const mc = new Int32Array(n);
  const v = new Float64Array(n);
  let clock = 1_000_000;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(rand() * 400);
    // A fifth of the events arrive out of order, some beyond the 2 s of lateness.
    t[i] = rand() < 0.2 ? clock - Math.floor(rand() * 4_000) : clock;
    kc[i] = k.encode(`k${Math.floor(rand() * 23)}`);
    mc[i] = m.encode(`m${Math.floor(rand() * 7)}`);
    v[i] = Math.round(rand() * 1000) / 10;
  }
  const out: Batch[] = [];
  for (let at = 0; at < n; at += batchRows) {
    const end = Math.min(n, at + batchRows);
    out.push(makeBatch(t.slice(at, end), { k: dictColumn(kc.slice(at, end), k), m: dictColumn(mc.slice(at, end), m), v: float64Column(v.slice(at, end)) }));
  }
  return out;
}

function rowsOf(batches: readonly Batch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    const names = Object.keys(b.columns);
    for (let i = 0; i < b.length; i++) rows.push([b.time[i], ...names.map((c) => `${c}=${String(valueAt(b.columns[c]!, i))}`)]);
  }
  return rows;
}

const count = (rs: readonly Rejection[]) => {
  const out: Record<string, number> = {};
  for (const r of rs) out[`${r.step}|${r.time}|${r.reason}`] = (out[`${r.step}|${r.time}|${r.reason}`] ?? 0) + 1;
  return out;
};

// Every feature on one key: the reader splits each batch by worker itself (ReaderSplit), announcements included.
const ONE_KEY = `
name: late_one_key
sources:
  ev:
    time: t
    time_format: epoch_ms
    keys: [k]
    lateness: 2s
    columns: { k: string, m: string, v: float64 }
features:
  - { name: s, source: ev, column: v, ops: [count, sum], window: 10s }
  - { name: w, source: ev, column: v, ops: [mean], window: 30s }
  - { name: tumble, source: ev, op: count, window: { tumbling: 5s } }
  - { name: sess, source: ev, op: count, window: { session: 3s } }
  - { name: ratio, expr: "s_sum / max(s_count, 1)" }
`;

describe('threads: late events are decided as one thread decides them', () => {
  // 3 workers: the split by key; 1 worker: the batch read in place, without a gather.
  const runs: [string, string, number, number][] = [
    ['several keys', CONFIG, 3, 1],
    ['several keys', CONFIG, 3, 97],
    ['several keys', CONFIG, 3, 5_000],
    ['several keys', CONFIG, 1, 97],
    ['one key', ONE_KEY, 2, 97],
    ['one key', ONE_KEY, 3, 1_000],
  ];
  for (const [what, text, workers, batchRows] of runs) {
    it(`${what}: ${workers} worker${workers === 1 ? '' : 's'}, batches of ${batchRows}`, async () => {
      const config = parseConfig(text, { dir: process.cwd(), dataDir: process.cwd() });
      const compiled = compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
      const input = events(3_000, 7, batchRows);
      const run = async (threads: boolean) => {
        const out: Record<string, Batch[]> = {};
        const runtime = createRuntime();
        const onOutput = (table: string, b: Batch) => (out[table] ??= []).push(b);
        if (threads) await createExecutor('threads', { workers }).run(compiled, runtime, { ev: input }, onOutput);
        else await runInProcess(compiled, runtime, { ev: input }, onOutput);
        return { out, rejections: runtime.rejections };
      };
      const local = await run(false);
      const threads = await run(true);
      expect(local.rejections.length).toBeGreaterThan(50);
      expect(count(threads.rejections)).toEqual(count(local.rejections));
      expect(Object.keys(threads.out).sort()).toEqual(Object.keys(local.out).sort());
      for (const table of Object.keys(local.out)) expect(rowsOf(threads.out[table]!), table).toEqual(rowsOf(local.out[table]!));
    }, 60_000);
  }
});
