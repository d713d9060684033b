import { allocValidity, setValid, type Validity } from '../../pipelines/data/validity.js';

type Values = Float64Array | Int32Array | Uint8Array;
type ValuesConstructor = new (length: number) => Values;

/**
 * Appends values of one column into a growable typed array, with a null bitmap made only once the
 * first null arrives. `take()` hands over what was built and starts afresh.
 */
export class ColumnBuilder {
  private values: Values;
  private validity: Validity | undefined;
  length = 0;

  /** `nullValue` is stored under a null: NaN for float64, so that a loop that forgets the bitmap does not see 0. */
  constructor(
    private readonly make: ValuesConstructor,
    private readonly initialCapacity: number,
    private readonly nullValue = 0,
  ) {
    this.values = new make(initialCapacity);
  }

  push(v: number): void {
    if (this.length === this.values.length) this.grow();
    this.values[this.length++] = v;
  }

  pushNull(): void {
    if (this.length === this.values.length) this.grow();
    if (this.validity === undefined) this.validity = allocValidity(this.values.length, true);
    this.values[this.length] = this.nullValue;
    setValid(this.validity, this.length++, false);
  }

  /** The values so far (exactly `length` of them) and their bitmap, if any null was pushed; then reset. */
  take(): { values: Values; validity?: Validity } {
    const n = this.length;
    const values = n === this.values.length ? this.values : this.values.slice(0, n);
    const validity = this.validity?.slice(0, (n + 7) >> 3);
    this.values = new this.make(this.initialCapacity);
    this.validity = undefined;
    this.length = 0;
    return validity === undefined ? { values } : { values, validity };
  }

  private grow(): void {
    const bigger = new this.make(Math.max(16, this.values.length * 2));
    bigger.set(this.values as never);
    this.values = bigger;
    if (this.validity !== undefined) {
      const v = allocValidity(bigger.length, true);
      v.set(this.validity);
      this.validity = v;
    }
  }
}
