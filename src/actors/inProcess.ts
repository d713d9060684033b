import { Subject, type Observable } from 'rxjs';
import type { CompiledFeatureSet } from '../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../pipelines/data/batch.js';
import type { RuntimeContext } from '../pipelines/runtime/context.js';

/** A stream of batches per source: an array, a generator or an async generator. */
export type SourceBatches = Iterable<Batch> | AsyncIterable<Batch>;

/**
 * Run a compiled feature set in this thread: feed each source's batches, interleaved by event time,
 * through the pipelines, and hand every output batch to `onOutput`. Returns when all inputs end and
 * every open window has been flushed.
 *
 * @example
 * await runInProcess(compiled, createRuntime(), { trades: batches }, (table, b) => collected[table].push(b));
 */
export async function runInProcess(
  compiled: CompiledFeatureSet,
  runtime: RuntimeContext,
  sources: Readonly<Record<string, SourceBatches>>,
  onOutput: (table: string, batch: Batch) => void,
  onInput?: (source: string, batch: Batch) => void,
): Promise<void> {
  const subjects: Record<string, Subject<Batch>> = {};
  const inputs: Record<string, Observable<Batch>> = {};
  for (const name of Object.keys(sources)) {
    subjects[name] = new Subject<Batch>();
    inputs[name] = subjects[name];
  }
  const outputs = compiled.build(runtime, inputs);
  let failure: unknown;
  const subscriptions = Object.entries(outputs).map(([table, out$]) =>
    out$.subscribe({
      next: (b) => {
        if (b.length > 0) onOutput(table, b);
      },
      error: (err) => {
        failure ??= err;
      },
    }),
  );
  try {
    await interleave(sources, (source, batch) => {
      if (failure !== undefined) throw failure;
      onInput?.(source, batch);
      subjects[source]!.next(batch);
    });
    for (const s of Object.values(subjects)) s.complete();
    if (failure !== undefined) throw failure;
  } finally {
    for (const s of subscriptions) s.unsubscribe();
  }
}

/**
 * Feed batches from several sources, always taking next the source whose pending batch starts
 * earliest in event time, so that sources advance together.
 */
export async function interleave(sources: Readonly<Record<string, SourceBatches>>, push: (source: string, b: Batch) => void | Promise<void>): Promise<void> {
  const iters = Object.entries(sources).map(([name, it]) => ({
    name,
    it: (Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : (it as Iterable<Batch>)[Symbol.iterator]()) as AsyncIterator<Batch> | Iterator<Batch>,
    head: undefined as Batch | undefined,
    done: false,
  }));
  const refill = async (s: (typeof iters)[number]) => {
    const r = await s.it.next();
    if (r.done) s.done = true;
    else s.head = r.value;
  };
  await Promise.all(iters.map(refill));
  for (;;) {
    let best: (typeof iters)[number] | undefined;
    for (const s of iters) {
      if (s.done || s.head === undefined) continue;
      if (best === undefined || (s.head.time[0] ?? Infinity) < (best.head!.time[0] ?? Infinity)) best = s;
    }
    if (best === undefined) return;
    const b = best.head!;
    best.head = undefined;
    await push(best.name, b);
    await refill(best);
  }
}
