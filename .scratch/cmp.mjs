import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
const rows = (f) => tableFromIPC(readFileSync(f)).toArray().map((r) => JSON.stringify(r.toJSON(), (k, v) => typeof v === 'bigint' ? Number(v) : v));
for (const t of process.argv.slice(3)) {
  const a = rows(`${process.argv[2]}/live/${t}.arrow`), b = rows(`${process.argv[2]}/features/${t}.arrow`);
  let diff = 0; for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) { if (diff++ < 3) console.log('diff', i, a[i], b[i]); }
  console.log(t, a.length, b.length, 'diffs', diff);
}
