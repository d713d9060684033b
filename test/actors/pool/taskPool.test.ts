import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { batchJobs, closeSharedTaskPools, createTaskPool, sharedTaskPool, tasksFor, type TaskPool } from '../../../src/actors/pool/taskPool.js';

const TASKS = new URL('./fixtures/tasks.ts', import.meta.url);

const pools: TaskPool[] = [];
const pool = (threads: number, preload = true): TaskPool => {
  const p = createTaskPool({ threads, ...(preload && { preload: [TASKS] }) });
  pools.push(p);
  return p;
};
// The explicit pools are closed; the shared pool of the last test is left open on purpose.
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('task pool lifecycle', () => {
  it('starts no thread until the first task, runs .ts task modules under tsx, and closes', async () => {
    const p = pool(2);
    expect(p.started).toBe(false);
    expect(p.threads).toBe(2);
    expect(await p.run<number>(TASKS, 'add', { a: 20, b: 22 })).toBe(42);
    expect(p.started).toBe(true);
    await p.close();
    expect(p.closed).toBe(true);
    await p.close(); // idempotent
    await expect(p.run(TASKS, 'add', { a: 1, b: 1 })).rejects.toThrow(/closed/);
  });

  it('closing a pool that never started is fine', async () => {
    const p = pool(1);
    await p.close();
    expect(p.started).toBe(false);
  });

  it('runs tasks on several threads at once', async () => {
    const p = pool(2);
    p.warm();
    const ids = await Promise.all([1, 2, 3, 4].map(() => p.run<number>(TASKS, 'spin', { ms: 40 })));
    expect(new Set(ids).size).toBe(2);
  });

  it('shares SharedArrayBuffer-backed arrays with tasks, and moves transferred buffers', async () => {
    const p = pool(2);
    const out = new Float64Array(new SharedArrayBuffer(8 * 1000));
    await Promise.all([p.run(TASKS, 'fill', { out: out.subarray(0, 500), scale: 2 }), p.run(TASKS, 'fill', { out: out.subarray(500), scale: 3 })]);
    expect(out[499]).toBe(998);
    expect(out[500]).toBe(0);
    expect(out[999]).toBe(499 * 3);

    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i).buffer;
    expect(await p.run<number>(TASKS, 'sumBytes', { bytes }, { transfer: [bytes] })).toBe(4950);
    expect(bytes.byteLength).toBe(0); // moved, not copied
  });

  it('waits for a task in flight before closing', async () => {
    const p = pool(1);
    const pending = p.run<string>(TASKS, 'later', { ms: 50, value: 'finished' });
    await new Promise((r) => setTimeout(r, 5));
    await p.close();
    await expect(pending).resolves.toBe('finished');
  });

  it('a shared pool is one per thread count, and a new one replaces a closed one', async () => {
    const a = sharedTaskPool(1);
    expect(sharedTaskPool(1)).toBe(a);
    expect(await a.run<number>(TASKS, 'add', { a: 1, b: 2 })).toBe(3);
    await closeSharedTaskPools();
    expect(a.closed).toBe(true);
    const b = sharedTaskPool(1);
    expect(b).not.toBe(a);
    expect(await b.run<number>(TASKS, 'add', { a: 2, b: 2 })).toBe(4);
  });

  it('rejects a thread count that is not a positive whole number', () => {
    expect(() => createTaskPool({ threads: 0 })).toThrow(/positive whole number/);
    expect(() => createTaskPool({ threads: 1.5 })).toThrow(/positive whole number/);
  });
});

describe('errors thrown in a task', () => {
  it('reach the caller with their message and type, and the thread stays usable', async () => {
    const p = pool(1);
    await expect(p.run(TASKS, 'fail', { message: 'the spine is not in time order' })).rejects.toThrow('the spine is not in time order');
    const err = await p.run(TASKS, 'failType', { message: 'bad column' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('bad column');
    expect(await p.run<number>(TASKS, 'add', { a: 1, b: 1 })).toBe(2);
  });

  it('keep their message when the error is a subclass (its name stays in the stack)', async () => {
    const p = pool(1);
    const err = (await p.run(TASKS, 'failCustom', { message: 'ragged rows' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('ragged rows');
    expect(err.stack).toMatch(/^ShapeError: ragged rows/);
  });

  it('a thread that dies rejects its task, and the pool goes on with a new thread', async () => {
    const p = pool(1);
    await expect(p.run(TASKS, 'exitThread', {})).rejects.toThrow(/exited with code: 3/);
    expect(await p.run<number>(TASKS, 'add', { a: 5, b: 5 })).toBe(10);
  });

  it('a preloaded module that fails to load is reported by the task that needs it', async () => {
    const missing = new URL('./missing.fixture.ts', import.meta.url);
    const p = createTaskPool({ threads: 1, preload: [missing] });
    pools.push(p);
    await expect(p.run(missing, 'add', {})).rejects.toThrow(/cannot load .*missing\.fixture\.ts/);
    expect(await p.run<number>(TASKS, 'add', { a: 1, b: 2 })).toBe(3);
  });

  it('name a missing export, and a module that does not exist', async () => {
    const p = pool(1);
    await expect(p.run(TASKS, 'nope', {})).rejects.toThrow(/no exported function "nope"/);
    await expect(p.run(new URL('./missing.fixture.ts', import.meta.url), 'add', {})).rejects.toThrow(/missing\.fixture/);
    expect(await p.run<number>(TASKS, 'add', { a: 3, b: 4 })).toBe(7);
  });
});

describe('an unref\'d pool never holds the process open', () => {
  it('a process that runs tasks and never closes its pools exits by itself', () => {
    const child = fileURLToPath(new URL('./fixtures/unrefChild.ts', import.meta.url));
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error, 'the child was killed by the timeout: something held it open').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done 5 30');
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('this test file ends with a shared pool left open (vitest must not hang on it)', async () => {
    // Never closed: the file (and vitest's fork) must still finish. The child process above is the strict check.
    expect(await sharedTaskPool(2).run<number>(TASKS, 'add', { a: 0, b: 1 })).toBe(1);
  });
});

describe('task sizing', () => {
  it('splits work into tasks of at least ~1 ms each, one per thread at most', () => {
    expect(tasksFor(10_000_000, { threads: 2, workPerMs: 80_000 })).toBe(2);
    expect(tasksFor(150_000, { threads: 4, workPerMs: 80_000 })).toBe(1);
    expect(tasksFor(250_000, { threads: 4, workPerMs: 80_000 })).toBe(3);
    expect(tasksFor(0, { threads: 4, workPerMs: 80_000 })).toBe(1);
    expect(tasksFor(250_000, { threads: 4, workPerMs: 80_000, minTaskMs: 2 })).toBe(1);
  });

  it('batches small jobs until each batch carries the minimum', () => {
    expect(batchJobs([0.2, 0.3, 0.6, 2, 0.1], 1)).toEqual([[0, 1, 2], [3, 4]]);
    expect(batchJobs([0.1, 0.1], 1)).toEqual([[0, 1]]);
    expect(batchJobs([5, 5], 1)).toEqual([[0], [1]]);
    expect(batchJobs([], 1)).toEqual([]);
  });
});
