/**
 * A small seeded pseudo-random generator for the sample-data generators.
 *
 * Why not Math.random: sample files must be byte-identical for the same seed, on any machine, so
 * that tests, benchmarks and docs can quote exact numbers. xoshiro128** is tiny, fast in plain JS
 * (32-bit integer ops only, no BigInt) and statistically far better than the LCGs usually written
 * for this; its state is seeded through splitmix32 so that nearby seeds (1, 2, 3) give unrelated
 * streams.
 *
 * Everything here draws only from `next()`, and only uses Math functions that V8 computes the same
 * way on every platform (log, sqrt, cos, exp via fdlibm), so outputs are reproducible.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform(0, 10);           // e.g. 3.71...
 * rng.normal(100, 15);          // Box-Muller
 * rng.pickWeighted(['a', 'b'], [0.9, 0.1]);
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box-Muller makes two normals at a time; the second waits here. */
  private spare: number | undefined;

  constructor(seed: number) {
    // splitmix32 spreads one 32-bit seed over the 128-bit state; a zero state would be stuck at zero.
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32-bit unsigned integer (xoshiro128**). */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1), with 32 bits of randomness. */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** A whole number in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.float());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Normal(mean, sd) by Box-Muller; uses 1 - u so that log never sees 0. */
  normal(mean = 0, sd = 1): number {
    let z: number;
    if (this.spare !== undefined) {
      z = this.spare;
      this.spare = undefined;
    } else {
      const r = Math.sqrt(-2 * Math.log(1 - this.float()));
      const theta = 2 * Math.PI * this.float();
      z = r * Math.cos(theta);
      this.spare = r * Math.sin(theta);
    }
    return mean + sd * z;
  }

  /** Log-normal with the given median (e^mu) and log-scale sigma: the usual shape of sizes and amounts. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given rate (mean 1/rate): waiting times of a Poisson process. */
  exponential(rate: number): number {
    return -Math.log(1 - this.float()) / rate;
  }

  /**
   * Poisson(lambda). Knuth's product method for small lambda (exact), a rounded normal for large
   * lambda (where the exact method is slow and the approximation is good enough for sample data).
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One element, with probability proportional to its weight. For repeated draws use {@link WeightedPicker}. */
  pickWeighted<T>(items: readonly T[], weights: readonly number[]): T {
    return new WeightedPicker(items, weights).pick(this);
  }

  /** Fisher-Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** `n` lowercase hex digits: ids that look random but are reproducible. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += this.next().toString(16).padStart(8, '0');
    return out.slice(0, n);
  }

  /**
   * An independent generator derived from this one's seed stream and a label. Giving each entity
   * its own stream keeps, say, one card's history unchanged when another card's logic changes.
   */
  fork(label: number): Rng {
    return new Rng((this.next() ^ Math.imul(label + 1, 0x27d4eb2d)) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Weighted choice with the cumulative weights computed once: O(log n) per draw. */
export class WeightedPicker<T> {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length === 0 || items.length !== weights.length) throw new Error('WeightedPicker needs one weight per item');
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new Error(`weight ${i} is ${w}; weights must be >= 0`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new Error('weights sum to 0');
    this.total = sum;
  }

  pick(rng: Rng): T {
    return this.items[this.pickIndex(rng)]!;
  }

  pickIndex(rng: Rng): number {
    const x = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Logistic function: turns a latent score into a probability. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
