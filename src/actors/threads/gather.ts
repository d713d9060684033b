import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';

/*
 * Gathering rows of a batch into one buffer, with a loop per array type: the generic takeBatch
 * sees every column type in one loop and slows down, and one buffer per batch is one allocation
 * (and one free) instead of one per column.
 */

const align8 = (n: number) => (n + 7) & ~7;

/** Typed arrays carved out of one buffer, 8-byte aligned. */
export class Arena {
  constructor(
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    private at = 0,
  ) {}

  f64(n: number): Float64Array {
    const v = new Float64Array(this.buffer, this.at, n);
    this.at += align8(n * 8);
    return v;
  }

  i32(n: number): Int32Array {
    const v = new Int32Array(this.buffer, this.at, n);
    this.at += align8(n * 4);
    return v;
  }

  u8(n: number): Uint8Array {
    const v = new Uint8Array(this.buffer, this.at, n);
    this.at += align8(n);
    return v;
  }
}

/** Bytes `gatherBatch` takes from an arena for `n` rows of `b`'s columns. */
export function batchBytes(b: Batch, n: number): number {
  let bytes = align8(n * 8) * (b.offsets ? 2 : 1);
  for (const c of Object.values(b.columns)) {
    bytes += align8(n * (c.type === 'bool' ? 1 : c.type === 'int32' || c.type === 'dictionary' ? 4 : 8));
    if (c.validity !== undefined) bytes += align8((n + 7) >> 3);
  }
  return bytes;
}

export function gatherF64(src: Float64Array, rows: Int32Array, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) out[i] = src[rows[i]!]!;
  return out;
}

export function gatherI32(src: Int32Array, rows: Int32Array, n: number, out: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) out[i] = src[rows[i]!]!;
  return out;
}

export function gatherU8(src: Uint8Array, rows: Int32Array, n: number, out: Uint8Array): Uint8Array {
  for (let i = 0; i < n; i++) out[i] = src[rows[i]!]!;
  return out;
}

/** Validity bits of rows `rows[0..n)` (out is zeroed). */
function gatherBits(src: Uint8Array, rows: Int32Array, n: number, out: Uint8Array): Uint8Array {
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if ((src[r >> 3]! >> (r & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** Rows `rows[0..n)` of `b` (takeBatch), into arrays of `arena` (`batchBytes(b, n)` bytes). */
export function gatherBatch(b: Batch, rows: Int32Array, n: number, arena: Arena): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(b.columns)) {
    let nulls = {};
    if (c.validity !== undefined) {
      const bits = arena.u8((n + 7) >> 3);
      bits.fill(0);
      nulls = { validity: gatherBits(c.validity, rows, n, bits) };
    }
    if (c.type === 'dictionary') columns[name] = { type: 'dictionary', codes: gatherI32(c.codes, rows, n, arena.i32(n)), dictionary: c.dictionary, ...nulls };
    else if (c.type === 'int32') columns[name] = { type: 'int32', values: gatherI32(c.values, rows, n, arena.i32(n)), ...nulls };
    else if (c.type === 'bool') columns[name] = { type: 'bool', values: gatherU8(c.values, rows, n, arena.u8(n)), ...nulls };
    else columns[name] = { type: c.type, values: gatherF64(c.values, rows, n, arena.f64(n)), ...nulls };
  }
  return {
    length: n,
    time: gatherF64(b.time, rows, n, arena.f64(n)),
    columns,
    ...(b.offsets && { offsets: gatherF64(b.offsets, rows, n, arena.f64(n)) }),
    ...(b.watermark !== undefined && { watermark: b.watermark }),
  };
}

