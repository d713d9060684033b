/**
 * The function catalogue: the one list the parser (names, arity), the type checker (signatures)
 * and the docs draw from. Adding a function means adding it here and a kernel in ./evaluate.ts.
 */

export interface FunctionSpec {
  /** Fewest arguments. */
  readonly min: number;
  /** Most arguments (Infinity for variadic). */
  readonly max: number;
  /**
   * `numeric`: every argument and the result are numbers.
   * `generic`: coalesce / if / is_null, typed by ./typecheck.ts itself.
   */
  readonly kind: 'numeric' | 'generic';
  readonly doc: string;
}

const numeric = (min: number, max: number, doc: string): FunctionSpec => ({ min, max, kind: 'numeric', doc });

// A Map, not an object literal: `FUNCTIONS.get('constructor')` must be undefined, never Object.
export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  ['coalesce', { min: 1, max: Infinity, kind: 'generic', doc: 'coalesce(a, b, ...): the first argument that is not null' }],
  ['if', { min: 3, max: 3, kind: 'generic', doc: 'if(cond, a, b): a where cond is true, else b (a null cond picks b)' }],
  ['is_null', { min: 1, max: 1, kind: 'generic', doc: 'is_null(x): true where x is null; never null itself' }],
  ['abs', numeric(1, 1, 'abs(x): absolute value')],
  ['log', numeric(1, 1, 'log(x): natural logarithm; null for x <= 0')],
  ['log10', numeric(1, 1, 'log10(x): base-10 logarithm; null for x <= 0')],
  ['exp', numeric(1, 1, 'exp(x): e to the power x')],
  ['sqrt', numeric(1, 1, 'sqrt(x): square root; null for x < 0')],
  ['pow', numeric(2, 2, 'pow(a, b): a to the power b; null for 0 to a negative power and for results with no real value')],
  ['floor', numeric(1, 1, 'floor(x): largest integer <= x')],
  ['ceil', numeric(1, 1, 'ceil(x): smallest integer >= x')],
  ['round', numeric(1, 1, 'round(x): nearest integer, halves away from zero (SQL rounding)')],
  ['min', numeric(1, Infinity, 'min(a, b, ...): smallest argument; null if any is null')],
  ['max', numeric(1, Infinity, 'max(a, b, ...): largest argument; null if any is null')],
  ['clip', numeric(3, 3, 'clip(x, lo, hi): min(max(x, lo), hi)')],
  ['sign', numeric(1, 1, 'sign(x): -1, 0 or 1')],
]);

export const FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];
