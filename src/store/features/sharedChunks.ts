/**
 * Growable columns in shared memory: a list of fixed-size chunks, each a typed array over its own
 * SharedArrayBuffer, plus (when asked) an Arrow-layout validity bitmap per chunk, also shared.
 *
 * Why chunks and not one buffer that doubles: a chunk never moves once allocated, so a worker that
 * was handed its SharedArrayBuffer keeps seeing the live memory (and every Arrow RecordBatch built
 * over it stays valid) while the table grows. Row `r` lives in chunk `r >> shift` at `r & mask`;
 * the chunk size is a power of two so that the split is two integer operations.
 *
 * @example
 * const c = new SharedChunks('f64', 1024, true);
 * c.ensure(3);
 * c.set(2, 9.5);
 * c.get(2); // 9.5
 * c.chunks[0]!.buffer instanceof SharedArrayBuffer; // true
 */
export type ChunkKind = 'f64' | 'i32';

type ChunkArray<K extends ChunkKind> = K extends 'f64' ? Float64Array : Int32Array;

/** A typed array of `length` elements over a fresh SharedArrayBuffer. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

export class SharedChunks<K extends ChunkKind = ChunkKind> {
  readonly chunks: ChunkArray<K>[] = [];
  /** Validity bitmaps (1 = valid), one per chunk, when the column can hold nulls. */
  readonly validity: Uint8Array[] | undefined;
  readonly shift: number;
  readonly mask: number;

  constructor(
    readonly kind: K,
    readonly chunkRows: number,
    nullable: boolean,
  ) {
    if (!Number.isInteger(Math.log2(chunkRows)) || chunkRows < 8) throw new Error(`chunkRows must be a power of two, at least 8; got ${chunkRows}`);
    this.shift = Math.log2(chunkRows);
    this.mask = chunkRows - 1;
    this.validity = nullable ? [] : undefined;
  }

  /** Rows the allocated chunks can hold. */
  get capacity(): number {
    return this.chunks.length * this.chunkRows;
  }

  /** Allocate chunks until `rows` rows fit. New validity bitmaps start all-valid. */
  ensure(rows: number): void {
    while (this.capacity < rows) {
      this.chunks.push((this.kind === 'f64' ? sharedFloat64(this.chunkRows) : sharedInt32(this.chunkRows)) as ChunkArray<K>);
      if (this.validity !== undefined) this.validity.push(sharedUint8(this.chunkRows >> 3).fill(0xff));
    }
  }

  get(row: number): number {
    return this.chunks[row >> this.shift]![row & this.mask]!;
  }

  set(row: number, value: number): void {
    this.chunks[row >> this.shift]![row & this.mask] = value;
  }

  isValid(row: number): boolean {
    if (this.validity === undefined) return true;
    const bits = this.validity[row >> this.shift]!;
    const i = row & this.mask;
    return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
  }

  setValid(row: number, valid: boolean): void {
    if (this.validity === undefined) {
      if (!valid) throw new Error('this column holds no nulls');
      return;
    }
    const bits = this.validity[row >> this.shift]!;
    const i = row & this.mask;
    if (valid) bits[i >> 3]! |= 1 << (i & 7);
    else bits[i >> 3]! &= ~(1 << (i & 7));
  }

  /** Write `src[kept[j]]` to row `start + j`, for j in [0, count): the append path, chunk by chunk. */
  writeRows(start: number, src: ArrayLike<number>, kept: Int32Array, count: number): void {
    let j = 0;
    while (j < count) {
      const row = start + j;
      const chunk = this.chunks[row >> this.shift]!;
      const from = row & this.mask;
      const take = Math.min(count - j, this.chunkRows - from);
      for (let x = 0; x < take; x++) chunk[from + x] = src[kept[j + x]!]!;
      j += take;
    }
  }

  /** Clear the validity bit of row `start + j` for each j whose source row `kept[j]` is null in `validity`. */
  writeNulls(start: number, validity: Uint8Array, kept: Int32Array, count: number): void {
    for (let j = 0; j < count; j++) {
      const i = kept[j]!;
      if (((validity[i >> 3]! >> (i & 7)) & 1) === 0) this.setValid(start + j, false);
    }
  }

  /** Rows `rows[0..count)` (any order) copied into one plain typed array. */
  gather(rows: Int32Array, count: number): ChunkArray<K> {
    const out = (this.kind === 'f64' ? new Float64Array(count) : new Int32Array(count)) as ChunkArray<K>;
    const { chunks, shift, mask } = this;
    for (let j = 0; j < count; j++) {
      const r = rows[j]!;
      out[j] = chunks[r >> shift]![r & mask]!;
    }
    return out;
  }

  /** The validity of rows `rows[0..count)` as a fresh bitmap, or undefined when they are all valid. */
  gatherValidity(rows: Int32Array, count: number): Uint8Array | undefined {
    if (this.validity === undefined) return undefined;
    const out = new Uint8Array((count + 7) >> 3);
    let nulls = 0;
    for (let j = 0; j < count; j++) {
      if (this.isValid(rows[j]!)) out[j >> 3]! |= 1 << (j & 7);
      else nulls++;
    }
    return nulls === 0 ? undefined : out;
  }

  /** Rows `[start, end)` copied into one plain typed array (for writing segments and building query results). */
  copyRange(start: number, end: number): ChunkArray<K> {
    const out = (this.kind === 'f64' ? new Float64Array(end - start) : new Int32Array(end - start)) as ChunkArray<K>;
    let at = 0;
    let row = start;
    while (row < end) {
      const chunk = this.chunks[row >> this.shift]!;
      const from = row & this.mask;
      const take = Math.min(end - row, this.chunkRows - from);
      out.set(chunk.subarray(from, from + take) as never, at);
      at += take;
      row += take;
    }
    return out;
  }

  /** The validity of rows `[start, end)` as a fresh bitmap, or undefined when they are all valid. */
  copyValidity(start: number, end: number): Uint8Array | undefined {
    if (this.validity === undefined) return undefined;
    const n = end - start;
    const out = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      if (this.isValid(start + i)) out[i >> 3]! |= 1 << (i & 7);
      else nulls++;
    }
    return nulls === 0 ? undefined : out;
  }
}
