import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch } from '../../../src/actors/cluster/batchFrames.js';
import { DictionaryTable } from '../../../src/actors/threads/wire.js';
import { concatBatches, sliceBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';

const rowsOf = (b: Batch) =>
  Array.from({ length: b.length }, (_, i) => {
    const row: Record<string, unknown> = { time: b.time[i], offset: b.offsets?.[i] };
    for (const [name, c] of Object.entries(b.columns)) {
      const valid = c.validity === undefined || ((c.validity[i >> 3]! >> (i & 7)) & 1) === 1;
      row[name] = !valid ? null : c.type === 'dictionary' ? c.dictionary.decode(c.codes[i]!) : c.values[i];
    }
    return row;
  });

describe('batches as Arrow IPC frames', () => {
  it('round-trip any slice: values, nulls, dictionaries by number and by value, offsets and watermark', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ k: fc.integer({ min: 0, max: 5 }), v: fc.double({ noNaN: true }), n: fc.boolean(), i: fc.integer(), f: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        (rows, a, b) => {
          const n = rows.length;
          const owned = new Dictionary(['a', 'b', 'c', 'd', 'e', 'f']);
          const made = new Dictionary(['x', 'y', 'z', 'w', 'v', 'u']);
          const validity = new Uint8Array((n + 7) >> 3);
          rows.forEach((r, i) => r.n || (validity[i >> 3]! |= 1 << (i & 7)));
          const batch: Batch = {
            length: n,
            time: Float64Array.from(rows, (_, i) => 1000 + i),
            offsets: Float64Array.from(rows, (_, i) => 7 + i),
            watermark: 999,
            columns: {
              key: { type: 'dictionary', codes: Int32Array.from(rows, (r) => r.k), dictionary: owned },
              made: { type: 'dictionary', codes: Int32Array.from(rows, (r) => 5 - r.k), dictionary: made },
              v: { type: 'float64', values: Float64Array.from(rows, (r) => r.v), validity },
              i: { type: 'int32', values: Int32Array.from(rows, (r) => r.i | 0) },
              f: { type: 'bool', values: Uint8Array.from(rows, (r) => (r.f ? 1 : 0)) },
            },
          };
          const from = a % n;
          const to = from + 1 + (b % (n - from));
          const part = sliceBatch(batch, from, to);
          const sender = new DictionaryTable();
          const mirror = new DictionaryTable();
          sender.idOf(owned);
          mirror.apply(sender.deltas({ ...part, columns: { key: part.columns.key! } }));
          const { ipc, meta } = encodeBatch(part, sender);
          const back = decodeBatch(ipc, meta, mirror);
          expect(back.length).toBe(part.length);
          expect(back.watermark).toBe(999);
          expect(rowsOf(back)).toEqual(rowsOf(part));
          // Typed arrays are exactly the batch's length (Arrow pads its buffers): concatenation stays aligned.
          expect(rowsOf(concatBatches([back, back]))).toEqual([...rowsOf(part), ...rowsOf(part)]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
