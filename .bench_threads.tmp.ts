import { threads } from './bench/suites/threads.js';
const r = await threads.run({ events: Number(process.env.N ?? 2_000_000), reps: 2, log: (m) => console.error(m), scratchDir: '/tmp' });
console.log(JSON.stringify({ c: Object.fromEntries(Object.entries(r.contenders).map(([k, v]) => [k, [v.medianMs, v.perSecond]])), ratios: r.ratios, v: r.verification }, null, 1));
