import { Subject } from 'rxjs';
import { parentPort } from 'node:worker_threads';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { sliceBatch, takeBatch, watermarkBatch, type Batch } from '../../pipelines/data/batch.js';
import { createRuntime } from '../../pipelines/runtime/context.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { BUILTIN_DEFINITIONS } from '../../pipelines/features/index.js';
import { FeatureRegistry } from '../../sdk/registry.js';
import type { FromMain, LaneSpec, ToMain, WorkerInit } from './protocol.js';
import { ROW_COLUMN } from './protocol.js';
import { DictionaryTable, fromWire, toWire } from './wire.js';

/*
 * A worker-thread actor. It owns, for every lane (a source and a feature key), the key groups the
 * assignment gives it, and runs the compiled pipeline of that lane's features over its rows.
 * Batches arrive over SharedArrayBuffer; outputs go back the same way.
 */

const port = parentPort;
if (port === null) throw new Error('the threads worker must run in a worker thread');
// Per run (a worker serves one run at a time, and may serve several in turn).
let dicts = new DictionaryTable();
const post = (m: ToMain) => port.postMessage(m);

interface RunningLane {
  spec: LaneSpec;
  input: Subject<Batch>;
}

async function start(init: WorkerInit): Promise<RunningLane[]> {
  const config = init.config as FeatureSetConfig;
  // As registryFor (src/sdk/replay.ts) does, without importing the replay module's store and I/O code.
  const registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
  for (const m of config.modules) await registry.loadModule(m);
  const lanes: RunningLane[] = [];
  for (const spec of init.lanes) {
    const names = new Set(spec.features);
    const laneConfig: FeatureSetConfig = { ...config, features: config.features.filter((f) => f.kind !== 'derived' && names.has(f.name)) };
    const compiled = compileFeatureSet(laneConfig, registry);
    const runtime = createRuntime(undefined, (r) => {
      // Every PIT lane of a source reorders the same rows: only the primary one reports its late events.
      if (!spec.primary && r.step.startsWith('reorder-')) return;
      post({ type: 'reject', rejection: r });
    });
    const input = new Subject<Batch>();
    const outputs = compiled.build(runtime, { [spec.source]: input });
    for (const [table, out$] of Object.entries(outputs)) {
      out$.subscribe({
        next: (b) => {
          if (b.length > 0) post({ type: 'output', lane: spec.id, table, batch: toWire(b, dicts) });
        },
        error: (err: unknown) => fail(err),
      });
    }
    lanes.push({ spec, input });
  }
  return lanes;
}

function fail(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', message: e.message, ...(e.stack !== undefined && { stack: e.stack }) });
}

let ready: Promise<RunningLane[]> = Promise.resolve([]);

port.on('message', (msg: FromMain) => {
  if (msg.type === 'init') {
    dicts = new DictionaryTable();
    ready = start(msg.init);
    ready.then(
      () => post({ type: 'ready' }),
      (err: unknown) => fail(err),
    );
    return;
  }
  ready
    .then((lanes) => {
      if (msg.type === 'batch') {
        dicts.apply(msg.dictionaries);
        const batch = fromWire(msg.batch, dicts);
        for (const lane of lanes) {
          if (lane.spec.source !== msg.source) continue;
          const rows = msg.rows[lane.spec.id];
          if (rows === undefined) continue;
          feed(lane, batch, msg.base, rows, msg.announce);
        }
        post({ type: 'ack', seq: msg.seq });
      } else if (msg.type === 'end') {
        for (const lane of lanes) lane.input.complete();
        post({ type: 'done' });
      }
    })
    .catch((err: unknown) => fail(err));
});

/**
 * This worker's rows of a batch, for one lane: gathered (the only copy on this side), tagged with
 * their row number in the source stream, and cut where the main thread announced the source's
 * global watermark, so lateness is decided exactly as one thread over all keys would decide it.
 */
function feed(lane: RunningLane, batch: Batch, base: number, rows: Int32Array, announce: Float64Array): void {
  const n = rows.length;
  if (n === 0) {
    if (batch.watermark !== undefined) lane.input.next(watermarkBatch(batch.watermark));
    return;
  }
  const mine = takeBatch(batch, rows, n);
  const rowNo = new Float64Array(n);
  for (let i = 0; i < n; i++) rowNo[i] = base + rows[i]!;
  const tagged: Batch = { ...mine, columns: { ...mine.columns, [ROW_COLUMN]: { type: 'float64', values: rowNo } } };
  // announce: pairs (row in batch, watermark), ascending rows.
  let start = 0;
  let a = 0;
  for (let i = 0; i < n && a < announce.length; i++) {
    const r = rows[i]!;
    while (a < announce.length && announce[a]! < r) a += 2;
    if (a < announce.length && announce[a] === r) {
      if (i > start) lane.input.next(withoutWatermark(sliceBatch(tagged, start, i)));
      lane.input.next(watermarkBatch(announce[a + 1]!));
      start = i;
    }
  }
  lane.input.next(start === 0 ? tagged : sliceBatch(tagged, start, n));
}

function withoutWatermark(b: Batch): Batch {
  if (b.watermark === undefined) return b;
  const { watermark: _w, ...rest } = b;
  return rest;
}
