import { createTaskPool, sharedTaskPool } from '../../../src/actors/pool/taskPool.js';

// Run by taskPool.test.ts as its own process: two pools (one of them shared) run tasks and are
// never closed. The process must still exit by itself once its own work is done.
const tasks = new URL('./tasks.fixture.ts', import.meta.url);
const pool = createTaskPool({ threads: 2, preload: [tasks] });
const a = await pool.run<number>(tasks, 'add', { a: 2, b: 3 });
const b = await sharedTaskPool(1).run<number>(tasks, 'add', { a: 10, b: 20 });
// A pool only warmed, never used, must not hold the process either.
createTaskPool({ threads: 1 }).warm();
process.stdout.write(`done ${a} ${b}\n`);
