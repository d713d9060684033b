/**
 * Dense codes for pairs of int32 codes, by open addressing over typed arrays: the composite-key
 * lookup that runs once per event, with no strings and no objects.
 */
export class PairTable {
  private slotsA: Int32Array;
  private slotsB: Int32Array;
  private slotsCode: Int32Array;
  private mask: number;
  /** Code -> its pair, for decoding. */
  left: Int32Array;
  right: Int32Array;
  size = 0;

  constructor(capacity = 1024) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.slotsA = new Int32Array(cap);
    this.slotsB = new Int32Array(cap);
    this.slotsCode = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
  }

  /** The code of (a, b), adding it when new. */
  encode(a: number, b: number): number {
    let slot = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
    for (;;) {
      const code = this.slotsCode[slot]!;
      if (code === -1) return this.insert(slot, a, b);
      if (this.slotsA[slot] === a && this.slotsB[slot] === b) return code;
      slot = (slot + 1) & this.mask;
    }
  }

  private insert(slot: number, a: number, b: number): number {
    const code = this.size++;
    this.slotsA[slot] = a;
    this.slotsB[slot] = b;
    this.slotsCode[slot] = code;
    if (code >= this.left.length) {
      const grow = (x: Int32Array) => {
        const y = new Int32Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.left = grow(this.left);
      this.right = grow(this.right);
    }
    this.left[code] = a;
    this.right[code] = b;
    if (this.size * 2 > this.mask) this.rehash();
    return code;
  }

  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    this.slotsA = new Int32Array(cap);
    this.slotsB = new Int32Array(cap);
    this.slotsCode = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    const n = this.size;
    this.size = 0;
    for (let code = 0; code < n; code++) {
      const a = this.left[code]!;
      const b = this.right[code]!;
      let slot = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
      while (this.slotsCode[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slotsA[slot] = a;
      this.slotsB[slot] = b;
      this.slotsCode[slot] = code;
      this.size++;
    }
  }

  snapshot(): { left: Int32Array; right: Int32Array } {
    return { left: this.left.slice(0, this.size), right: this.right.slice(0, this.size) };
  }

  static restore(s: { left: Int32Array; right: Int32Array }): PairTable {
    const t = new PairTable(Math.max(16, s.left.length));
    for (let i = 0; i < s.left.length; i++) t.encode(s.left[i]!, s.right[i]!);
    return t;
  }
}
