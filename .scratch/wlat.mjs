import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const p = join(tmpdir(), `wlat-${process.pid}`);
const fd = openSync(p, 'a');
const buf = Buffer.alloc(6000, 1);
const lat = [];
let maxGap = 0, last = performance.now();
const iv = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
const t0 = performance.now();
while (performance.now() - t0 < 8000) {
  const a = performance.now(); writeSync(fd, buf); lat.push(performance.now() - a);
  await new Promise((r) => setTimeout(r, 1));
}
clearInterval(iv); closeSync(fd); rmSync(p);
lat.sort((a, b) => a - b);
console.log('writes', lat.length, 'p50', lat[lat.length >> 1].toFixed(3), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(3), 'max', lat.at(-1).toFixed(1), 'max loop gap', maxGap.toFixed(1));
