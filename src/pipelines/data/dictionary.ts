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
  private standIn = false;

  constructor(values: Iterable<DictionaryValue> = []) {
    for (const v of values) this.encode(v);
  }

  /**
   * A dictionary rebuilt from a checkpoint's values. It stands in for the live dictionary it was saved
   * from, which in a restored process is another object (a mirror with the same values and codes):
   * state that holds one gives it up for the live one when a batch brings that (see `agreesWith`).
   */
  static fromCheckpoint(values: Iterable<DictionaryValue>): Dictionary {
    const d = new Dictionary(values);
    d.standIn = true;
    return d;
  }

  /**
   * A stand-in that knows only some codes (those its state used): a checkpoint need not carry a whole
   * high-cardinality dictionary (one value per event) to restore a few held rows. Unknown codes are
   * holes, which agree with any value (see `agreesWith`).
   */
  static fromCheckpointEntries(size: number, entries: readonly (readonly [number, DictionaryValue])[]): Dictionary {
    const d = new Dictionary();
    d.standIn = true;
    d.values.length = size;
    for (const [code, v] of entries) {
      d.values[code] = v;
      d.index.set(v, code);
    }
    return d;
  }

  /** The known (code, value) pairs among `codes`: what a checkpoint keeps of a dictionary. */
  entriesOf(codes: Int32Array): [number, DictionaryValue][] {
    const seen = new Set<number>();
    const out: [number, DictionaryValue][] = [];
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c < 0 || c >= this.values.length || seen.has(c)) continue;
      seen.add(c);
      const v = this.values[c];
      if (v !== undefined) out.push([c, v]);
    }
    return out;
  }

  /** Made by `fromCheckpoint`: a stand-in, not a live dictionary. */
  get restored(): boolean {
    return this.standIn;
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
   * Whether the two give the same value for every code both hold: then codes of one are codes of the
   * other. How a restored stand-in recognises the live dictionary it stands for. Costs one pass over
   * the shorter one, from code `from` (codes below it already compared: dictionaries only grow).
   */
  agreesWith(other: Dictionary, from = 0): boolean {
    if (other === this) return true;
    const a = this.values;
    const b = other.values;
    const n = Math.min(a.length, b.length);
    // A hole (a code a partial stand-in does not know) agrees with anything.
    for (let i = from; i < n; i++) if (a[i] !== b[i] && a[i] !== undefined && b[i] !== undefined) return false;
    return true;
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
