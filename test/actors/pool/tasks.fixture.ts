import { threadId } from 'node:worker_threads';

/** Task functions for test/actors/pool: run on pool threads, loaded through bootstrap.mjs under tsx. */

export function add(p: { a: number; b: number }): number {
  return p.a + p.b;
}

/** Writes i * scale into out[i] (shared memory) and returns the thread it ran on. */
export function fill(p: { out: Float64Array; scale: number }): number {
  for (let i = 0; i < p.out.length; i++) p.out[i] = i * p.scale;
  return threadId;
}

/** Sums a transferred buffer. */
export function sumBytes(p: { bytes: ArrayBuffer }): number {
  const x = new Uint8Array(p.bytes);
  let s = 0;
  for (const v of x) s += v;
  return s;
}

/** Busy for `ms`, then returns the thread it ran on. */
export function spin(p: { ms: number }): number {
  const end = performance.now() + p.ms;
  while (performance.now() < end) {
    // busy on purpose: a task holds its thread
  }
  return threadId;
}

export async function later(p: { ms: number; value: string }): Promise<string> {
  await new Promise((r) => setTimeout(r, p.ms));
  return p.value;
}

export function fail(p: { message: string }): never {
  throw new Error(p.message);
}

export function failType(p: { message: string }): never {
  throw new TypeError(p.message);
}

class ShapeError extends Error {
  override name = 'ShapeError';
}

export function failCustom(p: { message: string }): never {
  throw new ShapeError(p.message);
}

/** Ends its thread: the task in flight must be rejected, and the pool must go on. */
export function exitThread(): never {
  process.exit(3);
}
