/**
 * Null bitmaps, laid out as Arrow lays them out: one bit per row, least significant bit first, 1 = valid.
 * A column without a bitmap has no nulls.
 */
export type Validity = Uint8Array;

export function allocValidity(length: number, valid = true): Validity {
  return new Uint8Array((length + 7) >> 3).fill(valid ? 0xff : 0);
}

export function isValid(validity: Validity | undefined, row: number): boolean {
  return validity === undefined || ((validity[row >> 3]! >> (row & 7)) & 1) === 1;
}

export function setValid(validity: Validity, row: number, valid: boolean): void {
  if (valid) validity[row >> 3]! |= 1 << (row & 7);
  else validity[row >> 3]! &= ~(1 << (row & 7));
}

export function nullCount(validity: Validity | undefined, length: number): number {
  if (validity === undefined) return 0;
  let valid = 0;
  for (let i = 0; i < length; i++) valid += (validity[i >> 3]! >> (i & 7)) & 1;
  return length - valid;
}

/** The bitmap of rows `index[0..n)` of `validity`, or undefined when the source has no nulls. */
export function takeValidity(validity: Validity | undefined, index: ArrayLike<number>, n = index.length): Validity | undefined {
  if (validity === undefined) return undefined;
  const out = allocValidity(n, false);
  for (let i = 0; i < n; i++) {
    const r = index[i]!;
    if ((validity[r >> 3]! >> (r & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}
