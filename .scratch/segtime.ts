import { EventLog } from '../src/store/log/eventLog.js';
import { LiveRows } from '../src/actors/live/liveRows.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'seg-'));
const log = await (await EventLog.open(dir)).openSource({ name: 't', time: 'ts', timeFormat: 'epoch_ms', keys: ['sym'], lateness: 0, columns: { sym: 'string', px: 'float64', qty: 'float64', seq: 'int64' } });
await log.openJournal();
const rows = new LiveRows(log.spec, log.dictionaries, 1 << 20);
for (let k = 0; k < 262144; k++) rows.tryAdd([1e12 + k, `S${k % 1000}`, 100 + k % 97, 1 + k % 7, k]);
const b = rows.take();
// Many small appends, like a live run
const t0 = performance.now();
let maxGap = 0, last = performance.now();
const timer = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
for (let s = 0; s < b.length; s += 100) { log.appendDurable({ ...b, length: Math.min(100, b.length - s), time: b.time.subarray(s, s + 100), columns: Object.fromEntries(Object.entries(b.columns).map(([k, c]) => [k, c.type === 'dictionary' ? { ...c, codes: c.codes.subarray(s, s + 100) } : { ...c, values: (c.values as Float64Array).subarray(s, s + 100) }])) } as never); }
console.log('appends ms', (performance.now() - t0).toFixed(1));
last = performance.now(); maxGap = 0;
await new Promise((r) => setTimeout(r, 1500));
clearInterval(timer);
console.log('segments', log.segments.length, 'max event-loop gap during background segment write ms', maxGap.toFixed(1));
