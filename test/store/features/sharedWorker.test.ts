import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import { openSharedTable } from '../../../src/store/features/sharedTable.js';
import { EVENTS_SPEC, eventBatch, randomEvents } from './fixtures/tables.js';
import { startTsWorker } from './fixtures/tsWorker.js';

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

function startWorker(): Worker {
  const w = startTsWorker(new URL('./fixtures/sharedTableWorker.ts', import.meta.url));
  workers.push(w);
  return w;
}

async function ask<T>(w: Worker, msg: unknown): Promise<T> {
  const reply = once(w, 'message');
  w.postMessage(msg);
  return (await reply)[0] as T;
}

describe('shared-memory tables in a worker thread', () => {
  it('the worker reads the rows without a copy: writes on either side show on the other', async () => {
    const store = FeatureStore.inMemory({ chunkRows: 8 });
    await store.defineTable(EVENTS_SPEC);
    const rows = randomEvents(20, 11).map((r) => ({ ...r, spend: r.spend ?? 1 }));
    store.append('txns', eventBatch(rows));
    const table = store.table('txns');

    const w = startWorker();
    const opened = await ask<{ rows: number; batches: number; shared: boolean; spend: number[]; cards: string[]; sameBuffer: boolean; times: number[] }>(w, { type: 'open', handle: store.share('txns') });
    expect(opened).toMatchObject({ rows: 20, batches: 3, shared: true, sameBuffer: true });
    expect(opened.spend).toEqual(rows.map((r) => r.spend));
    expect(opened.cards).toEqual(rows.map((r) => r.card_id));
    expect(opened.times).toEqual(rows.map((r) => r.ts));

    // Worker -> main: a copy would leave the store's value alone.
    expect(table.valueAt('spend', 1)).toBe(rows[1]!.spend);
    await ask(w, { type: 'write', row: 1, value: 4242 });
    expect(table.valueAt('spend', 1)).toBe(4242);

    // Main -> worker: the worker's Arrow table reads the store's memory.
    table.valueColumns.get('spend')!.set(2, 777);
    table.time.set(2, 123);
    expect(await ask<{ value: number; time: number }>(w, { type: 'read', row: 2 })).toEqual({ value: 777, time: 123 });
  });

  it('the same Arrow view works on the main thread, over the same buffers', async () => {
    const store = FeatureStore.inMemory({ chunkRows: 8 });
    await store.defineTable(EVENTS_SPEC);
    store.append('txns', eventBatch(randomEvents(10, 12)));
    const view = openSharedTable(store.share('txns'));
    expect(view.numRows).toBe(10);
    expect(view.batches[1]!.getChild('spend')!.data[0]!.values.buffer).toBe(store.table('txns').valueColumns.get('spend')!.chunks[1]!.buffer);
    const nulls = store.getFeatures(['spend']).getChild('spend')!.nullCount;
    expect(view.getChild('spend')!.nullCount).toBe(nulls);
  });
});
