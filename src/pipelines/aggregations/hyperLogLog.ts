import { murmur3Finish, murmur3Step } from '../data/murmur3.js';
import { HLL_PRECISION } from './catalog.js';

/**
 * HyperLogLog distinct-count sketch (Flajolet et al.) with 2^p registers of 6 bits each, a 64-bit
 * hash built from two 32-bit MurmurHash3 passes (no BigInt), and Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs no bias
 * tables and is close to unbiased from 0 to far past 2^p. Standard error: 1.04 / sqrt(2^p), 1.625 %
 * at the default p = 12.
 *
 * Registers start sparse (a Map of the registers touched) and turn dense (a Uint8Array of 2^p)
 * when more than 2^p / 16 are set, so a small set costs little. The estimate depends only on the
 * register values, never on the representation. Merging is register-wise max, exact: a merge of
 * sketches equals the sketch of the union.
 *
 * @example
 * const h = new HyperLogLog();
 * for (let i = 0; i < 100_000; i++) h.add(i);
 * h.estimate(); // 100000 ± ~1.6 %
 */
export class HyperLogLog {
  readonly p: number;
  readonly m: number;
  private sparse: Map<number, number> | undefined = new Map();
  private dense: Uint8Array | undefined;

  constructor(p = HLL_PRECISION) {
    if (!Number.isInteger(p) || p < 4 || p > 18) throw new Error('HyperLogLog precision must be a whole number from 4 to 18');
    this.p = p;
    this.m = 1 << p;
  }

  /** Add a value (a number, or a dictionary code). -0 counts as 0. */
  add(v: number): void {
    hash64(v);
    const idx = H[0]! >>> (32 - this.p);
    const rho = rank(H[0]!, H[1]!, this.p);
    this.set(idx, rho);
  }

  private set(idx: number, rho: number): void {
    if (this.dense !== undefined) {
      if (rho > this.dense[idx]!) this.dense[idx] = rho;
      return;
    }
    const s = this.sparse!;
    const old = s.get(idx);
    if (old === undefined || rho > old) s.set(idx, rho);
    if (s.size > this.m >> 4) this.densify();
  }

  private densify(): void {
    const d = new Uint8Array(this.m);
    for (const [i, r] of this.sparse!) d[i] = r;
    this.dense = d;
    this.sparse = undefined;
  }

  /** Fold `o` in: register-wise max. */
  merge(o: HyperLogLog): void {
    if (o.p !== this.p) throw new Error('cannot merge HyperLogLog sketches of different precision');
    if (o.dense !== undefined) {
      if (this.dense === undefined) this.densify();
      const d = this.dense!;
      const od = o.dense;
      for (let i = 0; i < this.m; i++) if (od[i]! > d[i]!) d[i] = od[i]!;
      return;
    }
    for (const [i, r] of o.sparse!) this.set(i, r);
  }

  /** Number of registers holding each value 0..(64 - p + 1). */
  private registerHistogram(): Float64Array {
    const q = 64 - this.p;
    const c = new Float64Array(q + 2);
    if (this.dense !== undefined) {
      for (let i = 0; i < this.m; i++) c[this.dense[i]!]!++;
    } else {
      c[0] = this.m - this.sparse!.size;
      for (const r of this.sparse!.values()) c[r]!++;
    }
    return c;
  }

  /** The estimated number of distinct values added (Ertl's improved raw estimator). */
  estimate(): number {
    const m = this.m;
    const q = 64 - this.p;
    const c = this.registerHistogram();
    if (c[0] === m) return 0;
    let z = m * tau(1 - c[q + 1]! / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + c[k]!);
    z += m * sigma(c[0]! / m);
    return (m * m) / (2 * Math.LN2 * z);
  }

  toJSON(): { p: number; registers: Uint8Array | [number, number][] } {
    return { p: this.p, registers: this.dense !== undefined ? this.dense.slice() : [...this.sparse!] };
  }

  static fromJSON(o: { p: number; registers: Uint8Array | [number, number][] }): HyperLogLog {
    const h = new HyperLogLog(o.p);
    if (o.registers instanceof Uint8Array) {
      h.dense = o.registers.slice();
      h.sparse = undefined;
    } else h.sparse = new Map(o.registers);
    return h;
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === prev) return z / 3;
  }
}

/** 1 + the number of leading zeros of the 64 - p bits after the register index (64 - p + 1 when all are zero). */
function rank(h1: number, h2: number, p: number): number {
  const rest = (h1 << p) >>> 0;
  if (rest !== 0) return Math.clz32(rest) + 1;
  return 32 - p + (h2 === 0 ? 33 : Math.clz32(h2) + 1);
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** The last hash: two 32-bit words. */
const H = new Uint32Array(2);

/** A 64-bit hash of a float64's bits (into H), as two MurmurHash3 (x86_32) passes with different seeds. */
function hash64(v: number): void {
  F64[0] = v === 0 ? 0 : v;
  const lo = U32[0]!;
  const hi = U32[1]!;
  H[0] = murmur2(lo, hi, 0x9747b28c);
  H[1] = murmur2(lo, hi, 0x5bd1e995);
}

/** MurmurHash3 x86_32 of the two words (a, b) with `seed`. */
function murmur2(a: number, b: number, seed: number): number {
  return murmur3Finish(murmur3Step(murmur3Step(seed, a), b), 8);
}
