import { training } from './bench/suites/training.js';
const r = await training.run({ events: Number(process.argv[2]), reps: 3, log: (m) => console.error(m), scratchDir: '/tmp' });
console.log(JSON.stringify(r, null, 1));
