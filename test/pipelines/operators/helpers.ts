/**
 * Shared helpers for the operator tests: event lists turned into columnar batches over one shared
 * Dictionary, cut into batches in arbitrary ways, driven through RxJS, and read back as plain rows.
 */
import fc from 'fast-check';
import { from, lastValueFrom, Subject, toArray, type OperatorFunction } from 'rxjs';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { columnLength, valueAt, type Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';
import { createRuntime, type Rejection, type RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { StateStore } from '../../../src/pipelines/runtime/state.js';

/** One input event. `key` null = null key; `v` null = null value; `on` false = filtered by `where`. */
export interface Ev {
  t: number;
  key: string | null;
  v: number | null;
  on: boolean;
}

/** Columns: key (dictionary over `dict`), v (float64), on (bool), id (float64: index in `all`). */
export function evBatch(evs: readonly Ev[], dict: Dictionary, firstId = 0, withOffsets = true): Batch {
  const n = evs.length;
  const keyValidity = evs.some((e) => e.key === null) ? allocValidity(n) : undefined;
  const vValidity = evs.some((e) => e.v === null) ? allocValidity(n) : undefined;
  evs.forEach((e, i) => {
    if (keyValidity) setValid(keyValidity, i, e.key !== null);
    if (vValidity) setValid(vValidity, i, e.v !== null);
  });
  const key: Column = {
    type: 'dictionary',
    codes: Int32Array.from(evs, (e) => (e.key === null ? -1 : dict.encode(e.key))),
    dictionary: dict,
    ...(keyValidity && { validity: keyValidity }),
  };
  const v: Column = { type: 'float64', values: Float64Array.from(evs, (e) => e.v ?? 0), ...(vValidity && { validity: vValidity }) };
  const on: Column = { type: 'bool', values: Uint8Array.from(evs, (e) => (e.on ? 1 : 0)) };
  const id: Column = { type: 'float64', values: Float64Array.from(evs, (_, i) => firstId + i) };
  const time = Float64Array.from(evs, (e) => e.t);
  return makeBatch(time, { key, v, on, id }, withOffsets ? { offsets: Float64Array.from(evs, (_, i) => 1000 + firstId + i) } : {});
}

/** Cut `evs` into consecutive pieces of the given sizes (the rest in one last piece). Sizes may be 0. */
export function cut<T>(evs: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const s of sizes) {
    if (at >= evs.length) break;
    out.push(evs.slice(at, at + s));
    at += s;
  }
  if (at < evs.length || out.length === 0) out.push(evs.slice(at));
  return out;
}

/** The events as batches over `dict`, cut by `sizes`; ids and offsets follow arrival order. */
export function batchesOf(evs: readonly Ev[], sizes: readonly number[], dict: Dictionary, withOffsets = true): Batch[] {
  let id = 0;
  return cut(evs, sizes).map((part) => {
    const b = evBatch(part, dict, id, withOffsets);
    id += part.length;
    return b;
  });
}

export async function runOp<I, O>(inputs: readonly I[], build: (rt: RuntimeContext) => OperatorFunction<I, O>, rt: RuntimeContext = createRuntime()) {
  const out = await lastValueFrom(from(inputs).pipe(build(rt), toArray()));
  return { out, rejections: rt.rejections, rt };
}

/**
 * Feed `inputs[0..at)` through a pipeline built on one runtime, snapshot its state store (through
 * structuredClone, as a checkpoint does), then feed the rest to the same pipeline built on a fresh
 * runtime restored from that snapshot, and complete it.
 */
export async function runWithRestart<I, O>(inputs: readonly I[], at: number, build: (rt: RuntimeContext) => OperatorFunction<I, O>) {
  const rt1 = createRuntime();
  const subject = new Subject<I>();
  const out1: O[] = [];
  let err: unknown;
  const sub = subject.pipe(build(rt1)).subscribe({ next: (o) => out1.push(o), error: (e: unknown) => (err = e) });
  for (const b of inputs.slice(0, at)) subject.next(b);
  if (err !== undefined) throw err;
  const snapshot = structuredClone(rt1.store.snapshot());
  sub.unsubscribe();
  const rt2 = createRuntime(new StateStore(snapshot));
  const out2 = await lastValueFrom(from(inputs.slice(at)).pipe(build(rt2), toArray()));
  return { out: [...out1, ...out2], rejections: [...rt1.rejections, ...rt2.rejections], snapshot };
}

export type Row = Record<string, string | number | boolean | null>;

/** Rows of a batch as plain objects: `time` plus every column (or just `cols`), via valueAt. */
export function rowsOf(b: Batch, cols?: readonly string[]): Row[] {
  const names = cols ?? Object.keys(b.columns);
  const out: Row[] = [];
  for (let i = 0; i < b.length; i++) {
    const r: Row = { time: b.time[i]! };
    for (const name of names) {
      const c = b.columns[name];
      if (c === undefined) throw new Error(`no column ${name} in the batch`);
      if (columnLength(c) !== b.length) throw new Error(`column ${name} has ${columnLength(c)} rows, the batch ${b.length}`);
      r[name] = valueAt(c, i);
    }
    out.push(r);
  }
  return out;
}

export function allRows(bs: readonly Batch[], cols?: readonly string[]): Row[] {
  return bs.flatMap((b) => rowsOf(b, cols));
}

/** Rejections without the parts that name the step, with the reason reduced to its kind. */
export function rejectionKinds(rs: readonly Rejection[]): { time: number; offset: number | undefined; kind: string }[] {
  return rs.map((r) => ({ time: r.time, offset: r.offset, kind: r.reason.startsWith('late') ? 'late' : r.reason.startsWith('null key') ? 'null key' : r.reason }));
}

/** Stable sort by time (ties keep their order). */
export function stableByTime<T extends { t: number }>(evs: readonly T[]): T[] {
  return evs.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e);
}

/** Arbitrary events: times in [lo, hi] (ties likely), a few keys, values on a 0.25 grid (sums stay exact). */
export function evArb(opts: { lo: number; hi: number; maxLength: number; keys?: readonly string[]; nullKeys?: boolean; nullValues?: boolean; filtered?: boolean }) {
  const keys = opts.keys ?? ['a', 'b', 'c'];
  return fc.array(
    fc.record({
      t: fc.integer({ min: opts.lo, max: opts.hi }),
      key: opts.nullKeys ? fc.option(fc.constantFrom(...keys), { freq: 8 }) : fc.constantFrom(...keys),
      v: opts.nullValues ? fc.option(fc.integer({ min: -40, max: 40 }).map((x) => x / 4), { freq: 8 }) : fc.integer({ min: -40, max: 40 }).map((x) => x / 4),
      on: opts.filtered ? fc.boolean() : fc.constant(true),
    }),
    { maxLength: opts.maxLength },
  ) as fc.Arbitrary<Ev[]>;
}

/** Batch sizes for cutting: zeros (empty batches) included. */
export const cutsArb = fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 12 });

/**
 * An arrival order in which no event is more than `lateness` behind any event before it: sort by
 * time plus a jitter in [0, lateness]. (If f arrives before e then t_f + j_f <= t_e + j_e, so t_e >= t_f - lateness.)
 */
export function jitteredOrder<T extends { t: number }>(evs: readonly T[], jitters: readonly number[], lateness: number): T[] {
  return evs
    .map((e, i) => ({ e, i, k: e.t + Math.min(lateness, Math.max(0, jitters[i % Math.max(1, jitters.length)] ?? 0)) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e);
}
