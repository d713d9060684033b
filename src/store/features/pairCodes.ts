/**
 * Dense codes for pairs of int32 codes (open addressing over typed arrays), with a lookup that does
 * not insert. The store folds composite keys through these: appends insert, while fetches and
 * as-of queries only look up, so that a request for an unknown key cannot grow the table.
 * (`pipelines/data/pairTable.ts` only has an inserting `encode`; this is its read-only-capable twin.)
 *
 * @example
 * const p = new PairCodes();
 * p.encode(3, 7); // 0
 * p.get(3, 7);    // 0
 * p.get(7, 3);    // -1
 */
export class PairCodes {
  private slotsA: Int32Array;
  private slotsB: Int32Array;
  private slotsCode: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 256) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.slotsA = new Int32Array(cap);
    this.slotsB = new Int32Array(cap);
    this.slotsCode = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private static hash(a: number, b: number): number {
    return Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  }

  /** The code of (a, b), or -1 when the pair was never encoded. */
  get(a: number, b: number): number {
    let slot = PairCodes.hash(a, b) & this.mask;
    for (;;) {
      const code = this.slotsCode[slot]!;
      if (code === -1) return -1;
      if (this.slotsA[slot] === a && this.slotsB[slot] === b) return code;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The code of (a, b), adding it when new. Codes are dense: 0, 1, 2, ... in order of first sight. */
  encode(a: number, b: number): number {
    let slot = PairCodes.hash(a, b) & this.mask;
    for (;;) {
      const code = this.slotsCode[slot]!;
      if (code === -1) break;
      if (this.slotsA[slot] === a && this.slotsB[slot] === b) return code;
      slot = (slot + 1) & this.mask;
    }
    const code = this.size++;
    this.slotsA[slot] = a;
    this.slotsB[slot] = b;
    this.slotsCode[slot] = code;
    if (this.size * 2 > this.mask) this.grow();
    return code;
  }

  private grow(): void {
    const oldA = this.slotsA;
    const oldB = this.slotsB;
    const oldCode = this.slotsCode;
    const cap = (this.mask + 1) * 2;
    this.slotsA = new Int32Array(cap);
    this.slotsB = new Int32Array(cap);
    this.slotsCode = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let s = 0; s < oldCode.length; s++) {
      const code = oldCode[s]!;
      if (code === -1) continue;
      const a = oldA[s]!;
      const b = oldB[s]!;
      let slot = PairCodes.hash(a, b) & this.mask;
      while (this.slotsCode[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slotsA[slot] = a;
      this.slotsB[slot] = b;
      this.slotsCode[slot] = code;
    }
  }
}
