/**
 * Run a compiled feature set the way a checkpointing actor does: feed a prefix of the input, snapshot
 * the state store, send it through v8.serialize / v8.deserialize (what crosses to another process),
 * build a fresh pipeline on the restored store and feed the rest with every dictionary column on a
 * new Dictionary object (same values, same codes, another identity: a worker's mirror).
 */
import v8 from 'node:v8';
import { Subject, type Observable } from 'rxjs';
import { interleave } from '../../../../src/actors/inProcess.js';
import type { CompiledFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { sliceBatch, type Batch } from '../../../../src/pipelines/data/batch.js';
import { columnLength, valueAt, type Column } from '../../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../../src/pipelines/data/dictionary.js';
import { createRuntime, type Rejection } from '../../../../src/pipelines/runtime/context.js';
import { StateStore } from '../../../../src/pipelines/runtime/state.js';
import { DeadLetterSink } from '../../../../src/store/deadLetter.js';
import { openSources } from '../../../../src/sdk/replay.js';
import type { FeatureSetConfig } from '../../../../src/sdk/config/types.js';

/** One input batch and the source it goes to, in the order an executor feeds them. */
export interface Step {
  source: string;
  batch: Batch;
}

/** Extra operators after the compiled outputs (for example topPerWindow on a window table). */
export type Post = (outputs: Record<string, Observable<Batch>>) => Record<string, Observable<Batch>>;

export interface PartResult {
  outputs: Record<string, Batch[]>;
  rejections: Rejection[];
  /** The store's snapshot after the part, through v8 (undefined when the part completed its input). */
  bytes?: Buffer;
  /** With `barrierAt`: the snapshot taken there, serialized only once the run is over, and what had come out by then. */
  barrier?: { bytes: Buffer; outputs: Record<string, Batch[]>; rejections: Rejection[] };
}

/**
 * Feed `steps` to a pipeline built from `compiled` on a store restored from `bytes` (fresh without),
 * then either complete the inputs (the end of a bounded replay) or snapshot the store.
 */
export function runPart(compiled: CompiledFeatureSet, steps: Iterable<Step>, opts: { bytes?: Buffer; complete: boolean; post?: Post; barrierAt?: number }): PartResult {
  const store = opts.bytes === undefined ? new StateStore() : new StateStore(v8.deserialize(opts.bytes) as Record<string, unknown>);
  const runtime = createRuntime(store);
  const sources = [...new Set(compiled.tables.map((t) => t.source))];
  const subjects: Record<string, Subject<Batch>> = Object.fromEntries(sources.map((s) => [s, new Subject<Batch>()]));
  let outs = compiled.build(runtime, subjects);
  if (opts.post) outs = opts.post(outs);
  const outputs: Record<string, Batch[]> = Object.fromEntries(Object.keys(outs).map((t) => [t, []]));
  let failure: unknown;
  const subs = Object.entries(outs).map(([table, out$]) =>
    out$.subscribe({
      next: (b) => {
        if (b.length > 0) outputs[table]!.push(b);
      },
      error: (err: unknown) => (failure ??= err),
    }),
  );
  let barrier: { snapshot: Record<string, unknown>; outputs: Record<string, Batch[]>; rejections: Rejection[] } | undefined;
  const takeBarrier = () => {
    barrier = { snapshot: store.snapshot(), outputs: Object.fromEntries(Object.entries(outputs).map(([t, bs]) => [t, [...bs]])), rejections: [...runtime.rejections] };
  };
  let fed = 0;
  for (const { source, batch } of steps) {
    if (fed++ === opts.barrierAt) takeBarrier();
    subjects[source]!.next(batch);
    if (failure !== undefined) throw failure;
  }
  if (opts.barrierAt !== undefined && barrier === undefined) takeBarrier();
  let bytes: Buffer | undefined;
  if (opts.complete) for (const s of Object.values(subjects)) s.complete();
  else bytes = v8.serialize(store.snapshot());
  if (failure !== undefined) throw failure;
  for (const s of subs) s.unsubscribe();
  return {
    outputs,
    rejections: runtime.rejections,
    ...(bytes && { bytes }),
    // Serialized after the run went on: a snapshot sharing buffers with live state would show it here.
    ...(barrier && { barrier: { bytes: v8.serialize(barrier.snapshot), outputs: barrier.outputs, rejections: barrier.rejections } }),
  };
}

/**
 * One process runs the whole input, taking a snapshot before batch `k` and going on (as an actor does
 * after a checkpoint barrier); the snapshot is serialized only at the end. Another process restores it
 * and runs batches [k, n) on mirrored dictionaries. Returns both: the first must equal the reference
 * (a snapshot changes nothing), and its outputs up to the barrier ++ the second's must too.
 */
export function runAcrossBarrier(compile: () => CompiledFeatureSet, input: Input, k: number, post?: Post): { first: PartResult; restored: { outputs: Record<string, Batch[]>; rejections: Rejection[]; snapshot: Record<string, unknown> } } {
  const first = runPart(compile(), open(input), { complete: true, barrierAt: k, ...(post && { post }) });
  const barrier = first.barrier!;
  const mirrors = new Mirrors();
  const tail = function* (): Generator<Step> {
    let i = 0;
    // Batches before k are read too, so that lazily built dictionaries hold what they held at k.
    for (const step of open(input)) if (i++ >= k) yield { source: step.source, batch: mirrors.batch(step.batch) };
  };
  const second = runPart(compile(), tail(), { bytes: barrier.bytes, complete: true, ...(post && { post }) });
  const outputs: Record<string, Batch[]> = {};
  for (const [t, bs] of [...Object.entries(barrier.outputs), ...Object.entries(second.outputs)]) (outputs[t] ??= []).push(...bs);
  return { first, restored: { outputs, rejections: [...barrier.rejections, ...second.rejections], snapshot: v8.deserialize(barrier.bytes) as Record<string, unknown> } };
}

/** Dictionary columns moved onto mirrors: one new Dictionary per original, grown as the original grows. */
export class Mirrors {
  private readonly map = new Map<Dictionary, Dictionary>();

  batch(b: Batch): Batch {
    let columns: Record<string, Column> | undefined;
    for (const [name, c] of Object.entries(b.columns)) {
      if (c.type !== 'dictionary') continue;
      let m = this.map.get(c.dictionary);
      if (m === undefined) this.map.set(c.dictionary, (m = new Dictionary()));
      m.extendWith(c.dictionary.values);
      columns ??= { ...b.columns };
      columns[name] = { ...c, dictionary: m };
    }
    return columns === undefined ? b : { ...b, columns };
  }
}

/** Input that can be read more than once: an array, or a factory of fresh (possibly lazy) sequences. */
export type Input = readonly Step[] | (() => Iterable<Step>);

const open = (input: Input): Iterable<Step> => (typeof input === 'function' ? input() : input);

/** The uninterrupted run: everything through one pipeline, then the end of input. */
export function runReference(compile: () => CompiledFeatureSet, input: Input, post?: Post): PartResult {
  // Read lazily, as the restored runs do: string codes computed from a dictionary depend on what it holds when read.
  return runPart(compile(), open(input), { complete: true, ...(post && { post }) });
}

/**
 * Run the input cut at each of `cuts` (ascending batch indexes): every part runs in a freshly compiled
 * pipeline restored from the previous part's snapshot, on fresh mirrors of the dictionaries (grown to
 * what the originals hold when each batch is read, as a worker's mirrors are), and the last part ends
 * the input.
 */
export function runWithCheckpoints(compile: () => CompiledFeatureSet, input: Input, cuts: readonly number[], post?: Post): { outputs: Record<string, Batch[]>; rejections: Rejection[]; snapshots: Record<string, unknown>[] } {
  const outputs: Record<string, Batch[]> = {};
  const rejections: Rejection[] = [];
  const snapshots: Record<string, unknown>[] = [];
  const it = open(input)[Symbol.iterator]();
  let bytes: Buffer | undefined;
  let at = 0;
  for (let p = 0; p <= cuts.length; p++) {
    const last = p === cuts.length;
    // The first part runs on the original dictionaries; every restored part on mirrors of its own.
    const mirrors = p === 0 ? undefined : new Mirrors();
    const end = last ? Infinity : cuts[p]!;
    // Read lazily: a batch is taken (and mirrored) only when the pipeline is ready for it.
    const part = function* (): Generator<Step> {
      for (; at < end; at++) {
        const r = it.next();
        if (r.done) return;
        yield mirrors ? { source: r.value.source, batch: mirrors.batch(r.value.batch) } : r.value;
      }
    };
    const r = runPart(compile(), part(), { ...(bytes && { bytes }), complete: last, ...(post && { post }) });
    for (const [t, bs] of Object.entries(r.outputs)) (outputs[t] ??= []).push(...bs);
    rejections.push(...r.rejections);
    bytes = r.bytes;
    if (bytes !== undefined) snapshots.push(v8.deserialize(bytes) as Record<string, unknown>);
  }
  return { outputs, rejections, snapshots };
}

/** A table as rows of values (time first, then the columns by name), plus its column names. */
export function tableRows(bs: readonly Batch[]): { columns: string; rows: unknown[][] } {
  if (bs.length === 0) return { columns: '', rows: [] };
  const names = Object.keys(bs[0]!.columns).sort();
  const rows: unknown[][] = [];
  for (const b of bs) {
    const mine = Object.keys(b.columns).sort();
    if (mine.join() !== names.join()) throw new Error(`a batch has columns ${mine.join()}, the first one ${names.join()}`);
    for (let i = 0; i < b.length; i++) {
      const row: unknown[] = [b.time[i]];
      for (const n of names) {
        const c = b.columns[n]!;
        if (columnLength(c) !== b.length) throw new Error(`column ${n} has ${columnLength(c)} rows, the batch ${b.length}`);
        row.push(valueAt(c, i));
      }
      rows.push(row);
    }
  }
  return { columns: names.join(), rows };
}

const same = (a: unknown, b: unknown) => Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

/**
 * Outputs equal, table by table, row for row, value for value (NaN equals NaN; 0 and -0 differ), or
 * an error naming the first difference. Rejections equal too, in order.
 */
export function diffRuns(got: { outputs: Record<string, Batch[]>; rejections: readonly Rejection[] }, want: { outputs: Record<string, Batch[]>; rejections: readonly Rejection[] }): string | undefined {
  const tables = [...new Set([...Object.keys(want.outputs), ...Object.keys(got.outputs)])].sort();
  for (const t of tables) {
    const g = tableRows(got.outputs[t] ?? []);
    const w = tableRows(want.outputs[t] ?? []);
    if (g.rows.length > 0 && w.rows.length > 0 && g.columns !== w.columns) return `table ${t}: columns ${g.columns}, want ${w.columns}`;
    const names = ['time', ...(w.columns || g.columns).split(',')];
    const n = Math.min(g.rows.length, w.rows.length);
    for (let i = 0; i < n; i++) {
      const j = g.rows[i]!.findIndex((v, c) => !same(v, w.rows[i]![c]));
      if (j >= 0) return `table ${t} row ${i} column ${names[j]}: got ${String(g.rows[i]![j])}, want ${String(w.rows[i]![j])}\n got ${fmt(names, g.rows[i]!)}\nwant ${fmt(names, w.rows[i]!)}`;
    }
    if (g.rows.length !== w.rows.length) return `table ${t}: ${g.rows.length} rows, want ${w.rows.length}`;
  }
  const key = (r: Rejection) => `${r.source}|${r.step}|${r.time}|${r.offset}|${r.reason}`;
  const gr = got.rejections.map(key);
  const wr = want.rejections.map(key);
  const k = gr.findIndex((r, i) => r !== wr[i]);
  if (k >= 0 || gr.length !== wr.length) return `rejections differ at ${k >= 0 ? k : Math.min(gr.length, wr.length)}: got ${gr[k] ?? '(none)'}, want ${wr[k >= 0 ? k : gr.length] ?? '(none)'} (${gr.length} vs ${wr.length})`;
  return undefined;
}

function fmt(names: readonly string[], row: readonly unknown[]): string {
  return names.map((n, i) => `${n}=${String(row[i])}`).join(' ');
}

/** The batches of every source the config's tables read, cut to `batchRows`, in the order the in-process executor feeds them. */
export async function loadSteps(config: FeatureSetConfig, compiled: CompiledFeatureSet, batchRows: number, deadLetterDir: string): Promise<Step[]> {
  const deadLetters = new DeadLetterSink(deadLetterDir);
  const { logs } = await openSources(config, deadLetters);
  await deadLetters.close();
  const perSource: Record<string, Batch[]> = {};
  for (const s of new Set(compiled.tables.map((t) => t.source))) {
    const bs: Batch[] = [];
    for await (const b of logs[s]!.read({ batchRows })) bs.push(b);
    perSource[s] = bs;
  }
  const steps: Step[] = [];
  await interleave(perSource, (source, batch) => {
    steps.push({ source, batch });
  });
  return steps;
}

/** In-memory batches cut into pieces of at most `rows` rows (views, no copy). */
export function rebatch(bs: readonly Batch[], rows: number): Batch[] {
  return bs.flatMap((b) => {
    const out: Batch[] = [];
    for (let at = 0; at < b.length; at += rows) out.push(sliceBatch(b, at, Math.min(b.length, at + rows)));
    return out;
  });
}
