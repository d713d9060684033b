import type { Batch } from '../../data/batch.js';
import { PairTable } from '../../data/pairTable.js';
import { growInt } from '../market/shared.js';

/**
 * The groups (key, category) of a two-level point-in-time feature: a dense int32 slot per pair (by
 * open addressing over typed arrays, {@link PairTable}), and per key a doubly linked list of its
 * active groups (those with events in the window), in Int32Arrays. No object per event or group.
 *
 * Callers keep their per-group numbers in arrays indexed by slot, grown with {@link capacity}.
 */
export class KeyedGroups {
  private pairs = new PairTable();
  private next: Int32Array = new Int32Array(0);
  private prev: Int32Array = new Int32Array(0);
  private linked: Uint8Array = new Uint8Array(0);
  /** Per key: the first active group, or -1. */
  private first: Int32Array = new Int32Array(0);

  /** Number of slots handed out. */
  get size(): number {
    return this.pairs.size;
  }

  /** Room for slots below this (per-group arrays should be at least as long). */
  get capacity(): number {
    return this.next.length;
  }

  ensureKeys(n: number): void {
    this.first = growInt(this.first, n, -1);
  }

  /** The slot of (key `k`, category code `c`), adding it when new. */
  slot(k: number, c: number): number {
    const g = this.pairs.encode(k, c);
    if (g >= this.next.length) {
      this.next = growInt(this.next, g + 1, -1);
      this.prev = growInt(this.prev, g + 1, -1);
      const l = new Uint8Array(this.next.length);
      l.set(this.linked);
      this.linked = l;
    }
    return g;
  }

  /** The key of slot `g`. */
  keyOf(g: number): number {
    return this.pairs.left[g]!;
  }

  /** The category code of slot `g`. */
  categoryOf(g: number): number {
    return this.pairs.right[g]!;
  }

  /** Mark `g` active (it got its first event in the window). */
  link(g: number): void {
    if (this.linked[g] === 1) return;
    const k = this.keyOf(g);
    const head = this.first[k]!;
    this.next[g] = head;
    this.prev[g] = -1;
    if (head >= 0) this.prev[head] = g;
    this.first[k] = g;
    this.linked[g] = 1;
  }

  /** Mark `g` inactive (its last event left the window). */
  unlink(g: number): void {
    if (this.linked[g] !== 1) return;
    const n = this.next[g]!;
    const p = this.prev[g]!;
    if (p >= 0) this.next[p] = n;
    else this.first[this.keyOf(g)] = n;
    if (n >= 0) this.prev[n] = p;
    this.linked[g] = 0;
  }

  /** The first active group of key `k` (-1 when none); walk on with {@link after}. */
  head(k: number): number {
    return this.first[k]!;
  }

  after(g: number): number {
    return this.next[g]!;
  }

  /** The pairs, in slot order, and the active groups (each key's list in order), so restore rebuilds the same lists. */
  snapshot(): GroupsSnapshot {
    const active: number[] = [];
    for (let k = 0; k < this.first.length; k++) for (let g = this.first[k]!; g >= 0; g = this.next[g]!) active.push(g);
    return { ...this.pairs.snapshot(), active: Int32Array.from(active) };
  }

  restore(s: GroupsSnapshot, keys: number): void {
    this.pairs = PairTable.restore(s);
    const n = this.pairs.size;
    this.next = new Int32Array(Math.max(16, n)).fill(-1);
    this.prev = new Int32Array(Math.max(16, n)).fill(-1);
    this.linked = new Uint8Array(this.next.length);
    this.first = new Int32Array(0);
    let maxKey = keys;
    for (let g = 0; g < n; g++) maxKey = Math.max(maxKey, this.pairs.left[g]! + 1);
    this.ensureKeys(maxKey);
    // link() puts a group first, so each list is linked from its tail to its head.
    for (let i = s.active.length - 1; i >= 0; i--) this.link(s.active[i]!);
  }
}

export interface GroupsSnapshot {
  left: Int32Array;
  right: Int32Array;
  active: Int32Array;
}

/** Grow a Float64Array to at least `n` slots (doubling). */
export function growF(a: Float64Array, n: number): Float64Array {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}

/** Per row: the dictionary code of a categorical column, -1 where it is null. */
export function categoryCodes(b: Batch, name: string): Int32Array {
  const c = b.columns[name];
  if (c === undefined) throw new Error(`column "${name}" is not in the batch`);
  if (c.type !== 'dictionary') throw new Error(`column "${name}" must be categorical (a string column) to group by`);
  const out = Int32Array.from(c.codes.subarray(0, b.length));
  const v = c.validity;
  if (v !== undefined) for (let i = 0; i < b.length; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
  return out;
}
