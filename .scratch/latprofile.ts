import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { measure } from '../bench/suites/liveLatency.js';
const port = await new Promise<number>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
const maxDelay = process.argv[2] ?? '0ms';
const m = await measure({ rate: 50_000, seconds: 8, maxDelay, format: 'jsonl', fsync: false, scratch: mkdtempSync(join(tmpdir(), 'lp-')), port });
// per 100 ms bucket: p50 / max
const per = 5000;
const lines = [];
for (let s = 0; s < m.sent; s += per) {
  const xs = Array.from(m.latencies.subarray(s, s + per)).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  lines.push(`${(s / 50000).toFixed(1)}s p50 ${xs[xs.length >> 1]?.toFixed(2)} p99 ${xs[Math.floor(xs.length * 0.99)]?.toFixed(2)} max ${xs.at(-1)?.toFixed(1)}`);
}
console.log(lines.join('\n'));
