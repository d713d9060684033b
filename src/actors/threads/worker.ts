import { parentPort } from 'node:worker_threads';
import { BUILTIN_DEFINITIONS } from '../../pipelines/features/index.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { FeatureRegistry } from '../../sdk/registry.js';
import { buildLane, type RunningLane } from '../lanes/buildLane.js';
import { feedRows, RowSelector } from './feed.js';
import type { FromMain, ToMain, WorkerInit } from './protocol.js';
import { RowWriter } from './rowOutputs.js';
import { DictionaryTable, fromWire, toWire } from './wire.js';

/*
 * A worker-thread actor. It owns, for every lane (a source and a feature key), the key groups the
 * assignment gives it, and runs the compiled pipeline of that lane's features over its rows.
 * Batches arrive over SharedArrayBuffer. Events rows go back as feature values written at their row
 * numbers into the batch's output segment (rowOutputs.ts); windowed rows go back as batches.
 */

const port = parentPort;
if (port === null) throw new Error('the threads worker must run in a worker thread');
// Per run (a worker serves one run at a time, and may serve several in turn).
let dicts = new DictionaryTable();
let writer = new RowWriter({});
let selector: RowSelector | undefined;
const post = (m: ToMain) => port.postMessage(m);

async function start(init: WorkerInit): Promise<RunningLane[]> {
  const config = init.config as FeatureSetConfig;
  // As registryFor (src/sdk/replay.ts) does, without importing the replay module's store and I/O code.
  const registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
  for (const m of config.modules) await registry.loadModule(m);
  return init.lanes.map((spec) =>
    buildLane(
      config,
      registry,
      spec,
      undefined,
      (rejection) => post({ type: 'reject', rejection }),
      (table, b) => {
        try {
          if (spec.pointInTime && table === spec.source) writer.write(spec, b);
          else post({ type: 'output', lane: spec.id, table, batch: toWire(b, dicts) });
        } catch (err) {
          fail(err);
        }
      },
      fail,
    ),
  );
}

function fail(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', message: e.message, ...(e.stack !== undefined && { stack: e.stack }) });
}

let ready: Promise<RunningLane[]> = Promise.resolve([]);

port.on('message', (msg: FromMain) => {
  if (msg.type === 'init') {
    dicts = new DictionaryTable();
    writer = new RowWriter(msg.init.layout);
    const { config, lanes, keyGroups, owner, index, workers } = msg.init;
    const mirrors = dicts;
    selector = new RowSelector(config as FeatureSetConfig, lanes, keyGroups, owner, index, workers, (d) => mirrors.hashesOf(d));
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
        if (msg.doneBelow !== undefined) writer.release(msg.source, msg.doneBelow);
        if (msg.segment !== undefined) writer.add(msg.source, msg.base, msg.batch.length, msg.segment);
        const batch = fromWire(msg.batch, dicts);
        for (const lane of lanes) {
          if (lane.spec.source !== msg.source) continue;
          feedRows((b) => lane.input.next(b), batch, msg.base, selector!.rows(lane.spec, batch), msg.announce);
        }
        const progress = writer.take();
        post({ type: 'ack', seq: msg.seq, ...(progress && { progress }) });
      } else if (msg.type === 'end') {
        for (const lane of lanes) lane.input.complete();
        const progress = writer.take();
        post({ type: 'done', ...(progress && { progress }) });
      }
    })
    .catch((err: unknown) => fail(err));
});
