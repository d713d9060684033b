import { LiveRows } from '../src/actors/live/liveRows.js';
import { Dictionary } from '../src/pipelines/data/dictionary.js';
import { toRecordBatch } from '../src/pipelines/data/arrow.js';
import { concatBatches, sliceBatch } from '../src/pipelines/data/batch.js';
import { RecordBatchFileWriter } from 'apache-arrow';
const spec = { name: 't', time: 'ts', timeFormat: 'epoch_ms' as const, keys: ['sym'], lateness: 0, columns: { sym: 'string' as const, px: 'float64' as const, qty: 'float64' as const, seq: 'int64' as const } };
const rows = new LiveRows(spec, new Map([['sym', new Dictionary()]]), 1 << 20);
for (let k = 0; k < 262144; k++) rows.tryAdd([1e12 + k, `S${k % 1000}`, 100 + k % 97, 1 + k % 7, k]);
const b = rows.take();
const parts = []; for (let s = 0; s < b.length; s += 100) parts.push(sliceBatch(b, s, Math.min(b.length, s + 100)));
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  const all = concatBatches(parts);
  const t1 = performance.now() - t; t = performance.now();
  const rb = toRecordBatch(all, 'ts');
  const t2 = performance.now() - t; t = performance.now();
  const w = RecordBatchFileWriter.writeAll([rb]);
  const t3 = performance.now() - t; t = performance.now();
  const bytes = w.toUint8Array(true);
  const t4 = performance.now() - t;
  console.log({ concat: t1.toFixed(1), toRB: t2.toFixed(1), writeAll: t3.toFixed(1), toU8: t4.toFixed(1), mb: (bytes.length / 1e6).toFixed(1) });
}
