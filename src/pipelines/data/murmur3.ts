/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over bytes.
 *
 * Chosen for key partitioning because it is fast, well mixed, and specified byte for byte: Java
 * (Guava `murmur3_32_fixed`), Python (`mmh3.hash(..., signed=False)`), Go and C all give the same
 * number for the same bytes and seed, so any process, restart or machine agrees on a key's group.
 * Math.imul keeps every step in 32-bit integers: no BigInt, no floating point.
 *
 * @example
 * murmur3_32(new TextEncoder().encode('hello'), 0); // 0x248bfa47
 * murmur3_32(new Uint8Array(0), 1);                 // 0x514e28b7
 */
export function murmur3_32(bytes: Uint8Array, seed = 0, length = bytes.length): number {
  let h = seed | 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = mixH(h, k);
  }
  let k = 0;
  const tail = length & 3;
  if (tail === 3) k ^= bytes[i + 2]! << 16;
  if (tail >= 2) k ^= bytes[i + 1]! << 8;
  if (tail >= 1) {
    k ^= bytes[i]!;
    h ^= mixK(k);
  }
  return fmix(h ^ length);
}

/**
 * MurmurHash3 x86_32 of 32-bit words, as if they were written little-endian into bytes: the same
 * number as `murmur3_32` over those bytes, without building them. Used to combine the hashes of
 * the columns of a composite key, and for the two halves of a float64.
 *
 * @example
 * murmur3_32Words([0x64636261], 1, 0) === murmur3_32(new TextEncoder().encode('abcd'), 0); // true
 */
export function murmur3_32Words(words: ArrayLike<number>, count = words.length, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < count; i++) h = murmur3Step(h, words[i]! | 0);
  return murmur3Finish(h, count * 4);
}

/**
 * One 4-byte block of MurmurHash3 x86_32, for loops that hash words without gathering them into an
 * array first: `murmur3Finish(murmur3Step(murmur3Step(seed, a), b), 8)` is `murmur3_32Words([a, b], 2, seed)`.
 */
export function murmur3Step(h: number, word: number): number {
  return mixH(h, word);
}

/** The end of MurmurHash3 x86_32 after `byteLength` bytes of whole blocks. */
export function murmur3Finish(h: number, byteLength: number): number {
  return fmix(h ^ byteLength);
}

function mixK(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The finaliser: forces every input bit to affect every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
