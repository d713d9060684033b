/** A value a dictionary can hold: categorical columns are strings, numeric keys (a driver id) stay numbers. */
export type DictionaryValue = string | number;

/**
 * Append-only dictionary with stable codes: a value keeps the code it was first given, forever.
 * Hot loops see only the int32 codes; strings are hashed once, when a value is first encoded.
 *
 * @example
 * const d = new Dictionary();
 * d.encode('pickup'); // 0
 * d.encode('dropoff'); // 1
 * d.encode('pickup'); // 0
 * d.decode(1); // 'dropoff'
 */
export class Dictionary {
  readonly values: DictionaryValue[] = [];
  private readonly index = new Map<DictionaryValue, number>();

  constructor(values: Iterable<DictionaryValue> = []) {
    for (const v of values) this.encode(v);
  }

  get size(): number {
    return this.values.length;
  }

  /** The code of `value`, adding it when new. */
  encode(value: DictionaryValue): number {
    let code = this.index.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.index.set(value, code);
    }
    return code;
  }

  /** The code of `value`, or -1 when it was never encoded. */
  lookup(value: DictionaryValue): number {
    return this.index.get(value) ?? -1;
  }

  decode(code: number): DictionaryValue {
    return this.values[code]!;
  }

  /**
   * Adopt the values of `other`, which must extend this dictionary (same codes for the values both hold).
   * Used when reading log segments, each of which carries the dictionary as it was when written.
   */
  extendWith(other: readonly DictionaryValue[]): void {
    const shared = Math.min(this.values.length, other.length);
    for (let i = 0; i < shared; i++) {
      if (this.values[i] !== other[i]) {
        throw new Error(`dictionary mismatch at code ${i}: ${String(this.values[i])} vs ${String(other[i])}`);
      }
    }
    for (let i = shared; i < other.length; i++) this.encode(other[i]!);
  }
}
