import { murmur3_32, murmur3_32Words } from '../../pipelines/data/murmur3.js';

/** Key groups of a feature set unless its config says `key_groups`. */
export const DEFAULT_KEY_GROUPS = 128;

/** A key value: string keys are strings, numeric keys (a driver id, an int64 column) are numbers. */
export type KeyValue = string | number;

/*
 * The hash of a key is part of the on-disk and on-the-wire contract: checkpoints are stored per key
 * group, so every process, every restart and every release must put a key in the same group.
 * It is therefore defined on bytes, never on JS engine internals (no Map hash, no string hashCode):
 *
 * - a string: MurmurHash3 x86_32, seed 0, over its UTF-8 bytes;
 * - a number: MurmurHash3 x86_32, seed 0, over its 8 IEEE-754 float64 bytes, little-endian.
 *   -0 is hashed as 0 and every NaN as the canonical quiet NaN, because a Dictionary (a JS Map)
 *   treats them as the same key, so they must land in the same group.
 * - a composite key (v1, ..., vn), n > 1: MurmurHash3 x86_32, seed 0, over the little-endian bytes
 *   of the n 32-bit hashes of its parts. A one-part tuple hashes as its single value.
 * - the key group: hash (as an unsigned 32-bit integer) modulo the number of key groups.
 *
 * A string and a number are different keys: "42" and 42 hash differently, as they differ in a
 * Dictionary. A key shared by several sources must have the same type in each to be co-located.
 */

const encoder = new TextEncoder();
// Reused by every call: hashing is synchronous, so no two calls ever share it at once.
let scratch = new Uint8Array(256);
const f64 = new DataView(new ArrayBuffer(8));
const halves = new Int32Array(2);

/**
 * The 32-bit hash of a key value, unsigned.
 *
 * @example
 * hashKey('card-17');    // the same number on every machine, in every release
 * hashKey(42) === hashKey(42.0); // true: numbers are hashed as float64
 * hashKey(-0) === hashKey(0);    // true
 */
export function hashKey(value: KeyValue): number {
  if (typeof value === 'string') return hashString(value);
  return hashNumber(value);
}

function hashString(s: string): number {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(s.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(s, scratch);
  return murmur3_32(scratch, 0, written);
}

function hashNumber(x: number): number {
  if (x === 0) x = 0; // -0 → +0
  if (Number.isNaN(x)) {
    f64.setUint32(0, 0, true);
    f64.setUint32(4, 0x7ff80000, true);
  } else {
    f64.setFloat64(0, x, true);
  }
  halves[0] = f64.getInt32(0, true);
  halves[1] = f64.getInt32(4, true);
  return murmur3_32Words(halves, 2, 0);
}

/**
 * The hash of a composite key from the hashes of its parts (see the contract above).
 *
 * @example
 * combineHashes([hashKey('u1'), hashKey('m9')]) === hashKeyTuple(['u1', 'm9']); // true
 */
export function combineHashes(partHashes: ArrayLike<number>): number {
  if (partHashes.length === 1) return partHashes[0]! >>> 0;
  return murmur3_32Words(partHashes, partHashes.length, 0);
}

/**
 * The hash of a composite key (one value per key column, in the order of the key columns).
 *
 * @example
 * hashKeyTuple(['user-1', 'merchant-9']);
 * hashKeyTuple(['user-1']) === hashKey('user-1'); // true
 */
export function hashKeyTuple(values: readonly KeyValue[]): number {
  if (values.length === 0) throw new Error('a composite key needs at least one value');
  return combineHashes(values.map(hashKey));
}

/**
 * The key group of a hash: `hash mod keyGroups`.
 *
 * @example
 * groupOfHash(hashKey('card-17'), 128); // 0..127
 */
export function groupOfHash(hash: number, keyGroups: number): number {
  return (hash >>> 0) % keyGroups;
}

/**
 * The key group of a key value, or of a composite key given as an array.
 * For one value at a time (a fetch, a test, a tool); batches go through `keyGroupsOf`.
 *
 * @example
 * keyGroupOf('card-17');              // 0..127 with the default 128 key groups
 * keyGroupOf(['u1', 'm9'], 256);      // 0..255
 */
export function keyGroupOf(key: KeyValue | readonly KeyValue[], keyGroups = DEFAULT_KEY_GROUPS): number {
  checkKeyGroups(keyGroups);
  const hash = typeof key === 'string' || typeof key === 'number' ? hashKey(key) : hashKeyTuple(key);
  return groupOfHash(hash, keyGroups);
}

/** Key groups must be a positive integer (the config allows 1..65536). */
export function checkKeyGroups(keyGroups: number): void {
  if (!Number.isInteger(keyGroups) || keyGroups < 1 || keyGroups > 0x7fffffff) {
    throw new Error(`key groups must be a positive integer, got ${keyGroups}`);
  }
}
