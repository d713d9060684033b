/**
 * Counts per (key, column, dictionary code), for the distinct counts and modes of one open period: an
 * open-addressing hash table over int32 triples, in typed arrays (no strings, no per-row objects).
 */
export class CountTable {
  /** 3 ints per slot: key, column, code; key -1 marks an empty slot. */
  private ids: Int32Array;
  private counts: Float64Array;
  private used = 0;

  constructor(capacity = 64) {
    this.ids = new Int32Array(capacity * 3).fill(-1);
    this.counts = new Float64Array(capacity);
  }

  get size(): number {
    return this.used;
  }

  add(key: number, col: number, code: number): void {
    if ((this.used + 1) * 2 > this.counts.length) this.grow();
    const s = this.find(key, col, code);
    if (this.ids[s * 3] === -1) {
      this.ids[s * 3] = key;
      this.ids[s * 3 + 1] = col;
      this.ids[s * 3 + 2] = code;
      this.used++;
    }
    this.counts[s]!++;
  }

  /** Call `f` for every (key, column, code, count), in slot order. */
  forEach(f: (key: number, col: number, code: number, count: number) => void): void {
    const ids = this.ids;
    for (let s = 0; s < this.counts.length; s++) if (ids[s * 3] !== -1) f(ids[s * 3]!, ids[s * 3 + 1]!, ids[s * 3 + 2]!, this.counts[s]!);
  }

  private find(key: number, col: number, code: number): number {
    const mask = this.counts.length - 1;
    let s = (Math.imul(key, 0x9e3779b1) ^ Math.imul(col + 1, 0x85ebca6b) ^ Math.imul(code + 7, 0xc2b2ae35)) >>> 0;
    s = (s ^ (s >>> 15)) & mask;
    const ids = this.ids;
    for (;;) {
      const k = ids[s * 3]!;
      if (k === -1 || (k === key && ids[s * 3 + 1] === col && ids[s * 3 + 2] === code)) return s;
      s = (s + 1) & mask;
    }
  }

  private grow(): void {
    const oldIds = this.ids;
    const oldCounts = this.counts;
    this.ids = new Int32Array(oldCounts.length * 2 * 3).fill(-1);
    this.counts = new Float64Array(oldCounts.length * 2);
    for (let s = 0; s < oldCounts.length; s++) {
      if (oldIds[s * 3] === -1) continue;
      const t = this.find(oldIds[s * 3]!, oldIds[s * 3 + 1]!, oldIds[s * 3 + 2]!);
      this.ids[t * 3] = oldIds[s * 3]!;
      this.ids[t * 3 + 1] = oldIds[s * 3 + 1]!;
      this.ids[t * 3 + 2] = oldIds[s * 3 + 2]!;
      this.counts[t] = oldCounts[s]!;
    }
  }

  /** Typed arrays only: structuredClone-able, restored exactly. */
  snapshot(): { ids: Int32Array; counts: Float64Array; used: number } {
    return { ids: this.ids.slice(), counts: this.counts.slice(), used: this.used };
  }

  static restore(s: { ids: Int32Array; counts: Float64Array; used: number }): CountTable {
    const t = new CountTable(1);
    t.ids = s.ids.slice();
    t.counts = s.counts.slice();
    t.used = s.used;
    return t;
  }
}
