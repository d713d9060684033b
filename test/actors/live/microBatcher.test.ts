import { describe, expect, it } from 'vitest';
import { messageDecoder } from '../../../src/actors/live/decode/message.js';
import { LiveRows } from '../../../src/actors/live/liveRows.js';
import { MicroBatcher } from '../../../src/actors/live/microBatcher.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { sleep } from './helpers.js';

const spec: SourceSpec = { name: 's', time: 'ts', timeFormat: 'epoch_ms', keys: ['k'], lateness: 0, columns: { k: 'string', v: 'float64' } };

function setup(batchRows: number, maxDelayMs: number, now?: () => number) {
  const rows = new LiveRows(spec, new Map([['k', new Dictionary()]]), batchRows);
  const out: Batch[] = [];
  const batcher = new MicroBatcher(rows, { batchRows, maxDelayMs }, (b) => out.push(b), now);
  const decode = messageDecoder('jsonl', rows, 1 << 20);
  let t = 0;
  const send = (n: number): void => {
    const lines = Array.from({ length: n }, () => JSON.stringify({ ts: t++, k: 'a', v: 1 }));
    decode(Buffer.from(lines.join('\n')), () => {});
    batcher.afterMessage();
  };
  return { out, batcher, send, rows };
}

describe('micro-batcher', () => {
  it('cuts batches at exactly batch_rows, in the middle of a message, keeping arrival order', () => {
    const clock = 0;
    const { out, send, batcher } = setup(4, 1_000_000, () => clock);
    send(3);
    expect(out).toHaveLength(0);
    send(7); // 10 rows: two full batches now, 2 rows left open
    expect(out.map((b) => b.length)).toEqual([4, 4]);
    batcher.flush('stop');
    expect(out.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(out.flatMap((b) => [...b.time])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batcher.flushed).toEqual({ size: 2, delay: 0, drained: 0, stop: 1 });
  });

  it('flushes on the delay when events trickle in: the oldest row waits at most max_delay', async () => {
    const { out, send, batcher } = setup(1000, 30);
    const started = performance.now();
    send(1);
    await sleep(10);
    send(1); // does not restart the clock: the first row is the oldest
    while (out.length === 0) await sleep(2);
    const waited = performance.now() - started;
    expect(out[0]!.length).toBe(2);
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(waited).toBeLessThan(200);
    expect(batcher.flushed.delay).toBe(1);
  });

  it('with max_delay 0, nothing waits on purpose: a burst of messages read together is one batch', async () => {
    const { out, send, batcher } = setup(1000, 0);
    send(2);
    send(3); // read in the same turn: the transport had both queued
    expect(out).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(out.map((b) => b.length)).toEqual([5]);
    send(1);
    await new Promise((r) => setImmediate(r));
    expect(out.map((b) => b.length)).toEqual([5, 1]);
    expect(batcher.flushed.drained).toBe(2);
  });

  it('a delay flush sees the clock of the oldest row, not of the last message', () => {
    let clock = 0;
    const { out, send } = setup(1000, 5, () => clock);
    send(1);
    clock = 4;
    send(1);
    expect(out).toHaveLength(0);
    clock = 5;
    send(1); // due now
    expect(out.map((b) => b.length)).toEqual([3]);
  });
});
