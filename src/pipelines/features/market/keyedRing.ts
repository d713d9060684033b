/**
 * Per-key rings of (time, value lanes...), oldest first: the events a sliding market feature still
 * needs. One Float64Array per key (power-of-two length, grown by doubling), slots of `1 + lanes`
 * numbers; positions are running counters, masked into the ring. No object per event.
 */
export class KeyedRing {
  private readonly stride: number;
  private rings: Float64Array[] = [];
  /** Per key: position of the oldest slot kept, and one past the newest. */
  private start: Float64Array = new Float64Array(0);
  private end: Float64Array = new Float64Array(0);

  constructor(readonly lanes: 1 | 2) {
    this.stride = 1 + lanes;
  }

  get capacity(): number {
    return this.rings.length;
  }

  ensureKeys(n: number): void {
    if (n <= this.rings.length) return;
    const cap = Math.max(n, this.rings.length * 2, 16);
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.start = grow(this.start);
    this.end = grow(this.end);
    while (this.rings.length < cap) this.rings.push(new Float64Array(0));
  }

  /** Position of the oldest kept slot of key `k`. */
  head(k: number): number {
    return this.start[k]!;
  }

  /** One past the newest slot of key `k`. */
  tail(k: number): number {
    return this.end[k]!;
  }

  size(k: number): number {
    return this.end[k]! - this.start[k]!;
  }

  time(k: number, pos: number): number {
    const r = this.rings[k]!;
    return r[(pos & (r.length / this.stride - 1)) * this.stride]!;
  }

  value(k: number, pos: number, lane = 0): number {
    const r = this.rings[k]!;
    return r[(pos & (r.length / this.stride - 1)) * this.stride + 1 + lane]!;
  }

  /** Drop the oldest slot of key `k`. */
  shift(k: number): void {
    this.start[k]!++;
  }

  push(k: number, t: number, v0: number, v1 = 0): void {
    let r = this.rings[k]!;
    const e = this.end[k]!;
    if ((e - this.start[k]!) * this.stride >= r.length) r = this.grow(k);
    const at = (e & (r.length / this.stride - 1)) * this.stride;
    r[at] = t;
    r[at + 1] = v0;
    if (this.lanes > 1) r[at + 2] = v1;
    this.end[k] = e + 1;
  }

  private grow(k: number): Float64Array {
    const old = this.rings[k]!;
    const s = this.stride;
    const oldSlots = old.length / s;
    const slots = Math.max(8, oldSlots * 2);
    const r = new Float64Array(slots * s);
    for (let p = this.start[k]!; p < this.end[k]!; p++) {
      const from = (p & (oldSlots - 1)) * s;
      const to = (p & (slots - 1)) * s;
      for (let j = 0; j < s; j++) r[to + j] = old[from + j]!;
    }
    this.rings[k] = r;
    return r;
  }

  /** The kept slots of every key, oldest first, as plain typed arrays. */
  snapshot(): unknown {
    const keys = this.rings.length;
    const slots: Float64Array[] = [];
    for (let k = 0; k < keys; k++) {
      const n = this.size(k);
      const out = new Float64Array(n * this.stride);
      for (let p = 0; p < n; p++) {
        const pos = this.start[k]! + p;
        out[p * this.stride] = this.time(k, pos);
        for (let j = 0; j < this.lanes; j++) out[p * this.stride + 1 + j] = this.value(k, pos, j);
      }
      slots.push(out);
    }
    return { lanes: this.lanes, keys, start: this.start.slice(0, keys), slots };
  }

  restore(s: unknown): void {
    const snap = s as { lanes: number; keys: number; start: Float64Array; slots: Float64Array[] };
    if (snap.lanes !== this.lanes) throw new Error('checkpoint does not match this feature (ring lanes differ)');
    this.rings = [];
    this.start = new Float64Array(0);
    this.end = new Float64Array(0);
    this.ensureKeys(snap.keys);
    for (let k = 0; k < snap.keys; k++) {
      // Positions restart where they were, so a restored ring is the same ring.
      const base = snap.start[k]!;
      this.start[k] = base;
      this.end[k] = base;
      const data = snap.slots[k]!;
      const n = data.length / this.stride;
      for (let p = 0; p < n; p++) this.push(k, data[p * this.stride]!, data[p * this.stride + 1]!, this.lanes > 1 ? data[p * this.stride + 2]! : 0);
    }
  }
}
