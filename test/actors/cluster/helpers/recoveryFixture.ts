import { join } from 'node:path';
import { expect } from 'vitest';
import { runInProcess } from '../../../../src/actors/inProcess.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { concatBatches, sliceBatch, type Batch } from '../../../../src/pipelines/data/batch.js';
import { createRuntime } from '../../../../src/pipelines/runtime/context.js';
import type { FeatureSetConfig } from '../../../../src/sdk/config/types.js';
import { openSources, registryFor } from '../../../../src/sdk/replay.js';
import type { SampleDomain } from '../../../../src/sdk/samples/index.js';
import { sampleDomainConfig } from '../../../fixtures/sampleDomainConfig.js';
import { DeadLetterSink } from '../../../../src/store/deadLetter.js';

/** A domain's sample events in small batches (so a run has many points to be killed at), and the golden tables of one thread. */
export interface RecoveryFixture {
  config: FeatureSetConfig;
  compiled: CompiledFeatureSet;
  sources: Record<string, Batch[]>;
  rows: number;
  golden: Record<string, Batch>;
}

export async function recoveryFixture(domain: SampleDomain, dir: string, batchRows: number, scale = 0.05): Promise<RecoveryFixture> {
  const config = await sampleDomainConfig(dir, domain, { scale, dataDir: join(dir, 'state') });
  const compiled = compileFeatureSet(config, await registryFor(config));
  const { logs } = await openSources(config, new DeadLetterSink(join(dir, 'deadletter')));
  const sources: Record<string, Batch[]> = {};
  let rows = 0;
  for (const s of new Set(compiled.tables.map((t) => t.source))) {
    sources[s] = [];
    for await (const b of logs[s]!.read({ batchRows })) (sources[s].push(b), (rows += b.length));
  }
  return { config, compiled, sources, rows, golden: await runLocal(compiled, sources) };
}

export async function runLocal(compiled: CompiledFeatureSet, sources: Record<string, Batch[]>): Promise<Record<string, Batch>> {
  const out: Record<string, Batch[]> = {};
  await runInProcess(compiled, createRuntime(), sources, (t, b) => (out[t] ??= []).push(b));
  return Object.fromEntries(Object.entries(out).map(([t, bs]) => [t, concatBatches(bs)]));
}

const cell = (b: Batch, name: string, i: number): unknown => {
  const c = b.columns[name]!;
  if (c.validity !== undefined && ((c.validity[i >> 3]! >> (i & 7)) & 1) === 0) return null;
  const v = c.type === 'dictionary' ? c.dictionary.decode(c.codes[i]!) : c.values[i];
  return typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v;
};

/**
 * The run's tables equal the golden ones row for row, and a per-key sequence check: in every
 * events table, each key's events (by log offset) appear once each, in the golden order — so a
 * failure says which key lost or doubled which event.
 */
export function expectGolden(actual: Record<string, Batch[]>, fixture: RecoveryFixture, keyOf: Record<string, string>): void {
  const got = Object.fromEntries(Object.entries(actual).map(([t, bs]) => [t, concatBatches(bs)]));
  expect(Object.keys(got).sort()).toEqual(Object.keys(fixture.golden).sort());
  for (const [table, want] of Object.entries(fixture.golden)) {
    const have = got[table]!;
    const key = keyOf[table];
    if (key !== undefined && want.offsets !== undefined) {
      const sequences = (b: Batch) => {
        const m = new Map<unknown, number[]>();
        for (let i = 0; i < b.length; i++) {
          const k = cell(b, key, i);
          let l = m.get(k);
          if (l === undefined) m.set(k, (l = []));
          l.push(b.offsets![i]!);
        }
        return m;
      };
      const w = sequences(want);
      const h = sequences(have);
      for (const [k, seq] of w) {
        const hs = h.get(k) ?? [];
        const counts = new Map<number, number>();
        for (const o of hs) counts.set(o, (counts.get(o) ?? 0) + 1);
        const lost = seq.filter((o) => !counts.has(o));
        const doubled = [...counts].filter(([, c]) => c > 1).map(([o]) => o);
        expect({ table, key: k, lost, doubled }).toEqual({ table, key: k, lost: [], doubled: [] });
        expect(hs, `${table} ${key}=${String(k)}: order`).toEqual(seq);
      }
      expect([...h.keys()].filter((k) => !w.has(k)), `${table}: keys not in the golden output`).toEqual([]);
    }
    expect(have.length, `${table}: rows`).toBe(want.length);
    const names = Object.keys(want.columns);
    expect(Object.keys(have.columns), `${table}: columns`).toEqual(names);
    for (let i = 0; i < want.length; i++) {
      if (have.time[i] !== want.time[i]) expect(have.time[i], `${table} row ${i}: time`).toBe(want.time[i]);
      for (const n of names) {
        const a = cell(have, n, i);
        const e = cell(want, n, i);
        if (a !== e) expect(a, `${table} row ${i}: ${n}`).toEqual(e);
      }
    }
  }
}

/** A small seeded generator: the kill points are random but a failure can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Re-readable array sources: from a checkpoint's position, the rows after it. */
export function reopenArrays(sources: Record<string, Batch[]>) {
  return (from: Readonly<Record<string, { rows: number }>> | undefined): Record<string, Batch[]> =>
    Object.fromEntries(
      Object.entries(sources).map(([name, batches]) => {
        const skip = from?.[name]?.rows ?? 0;
        const out: Batch[] = [];
        let at = 0;
        for (const b of batches) {
          if (at + b.length > skip) out.push(at >= skip ? b : sliceBatch(b, skip - at, b.length));
          at += b.length;
        }
        return [name, out];
      }),
    );
}
