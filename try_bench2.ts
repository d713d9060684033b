import { training } from './bench/suites/training.js';
const r = await training.run({ events: Number(process.argv[2]), reps: 3, log: (m) => console.error(m), scratchDir: '/tmp' });
for (const [k, c] of Object.entries(r.contenders)) console.log(k, c.runsMs.join(' '), '| ingest', (c.extra!.ingestMs as number[]).join(' '));
console.log(JSON.stringify(r.ratios), JSON.stringify(r.verification));
