import type { BoolColumn, Column } from '../data/column.js';
import { columnLength, dictColumn, float64Column } from '../data/column.js';
import type { Batch } from '../data/batch.js';
import { Dictionary } from '../data/dictionary.js';
import { allocValidity, type Validity } from '../data/validity.js';
import type { Binary, Call, Expr, Identifier } from './ast.js';
import { ExpressionError, withSuggestion } from './errors.js';
import { closest } from './suggest.js';
import { annotate, type ExprType, type Scope, type ValueType } from './typecheck.js';

/*
 * Columnar evaluation. compileExpression turns the tree into a tree of closures once; each call
 * then walks that tree once per batch, and every node runs one tight loop over typed arrays:
 * numbers are Float64Array, bools Uint8Array (0/1), strings int32 dictionary codes, and nulls a
 * validity bitmap beside them (Arrow layout, 1 = valid). Values in null rows are unspecified.
 *
 * Null semantics follow SQL:
 * - arithmetic, comparisons and the numeric functions are null when any input is null
 *   (min and max too: use coalesce to skip nulls);
 * - `and`/`or` are three-valued: false and null is false, true or null is true;
 * - coalesce is the first non-null argument; is_null is never null;
 * - if(cond, a, b) takes b where cond is false or null (as SQL CASE does).
 * Where a number has no value, the result is null rather than Infinity or NaN, so one bad row
 * cannot poison a downstream mean or a model input:
 * - x / 0 and x % 0 are null (whatever x is, including 0);
 * - log(x) and log10(x) are null for x <= 0; sqrt(x) is null for x < 0;
 * - pow(0, negative) is null, and so is pow(negative, non-integer).
 * NaN that arrives in the data is a value, not a null, and flows through as IEEE says.
 */

/** Finds a column the batch does not carry (features computed elsewhere, for example). Called after the batch's own columns. */
export type Resolver = (name: string) => Column | undefined;

/** A compiled expression: one call evaluates it over a whole batch. */
export interface Evaluator {
  (batch: Batch, resolve?: Resolver): Column;
  /** The type that `check` gave the expression. */
  readonly type: ExprType;
  /**
   * The dictionaries this evaluator codes string results in (if / coalesce over several
   * dictionaries or literals), in compile order. They grow with the batches seen, so their codes
   * depend on history: a checkpoint must carry their values for a restored evaluator to give the
   * same codes (see `restoreDictionaries`).
   */
  readonly dictionaries: readonly Dictionary[];
}

/**
 * Give a freshly compiled evaluator's result dictionaries the values saved from another compile of
 * the same expression and scope (`ev.dictionaries.map((d) => [...d.values])`), so codes carry on.
 */
export function restoreDictionaries(ev: Evaluator, saved: readonly (readonly (string | number)[])[]): void {
  if (saved.length !== ev.dictionaries.length) throw new Error(`checkpoint has ${saved.length} expression dictionaries, the expression ${ev.dictionaries.length}`);
  ev.dictionaries.forEach((d, i) => d.extendWith(saved[i]!));
}

/** A compiled filter: a 0/1 mask with one byte a row; null counts as false. */
export type PredicateEvaluator = (batch: Batch, resolve?: Resolver) => Uint8Array;

interface NumVec {
  readonly t: 'number';
  readonly values: Float64Array;
  readonly validity: Validity | undefined;
}
interface BoolVec {
  readonly t: 'bool';
  readonly values: Uint8Array;
  readonly validity: Validity | undefined;
}
interface StrVec {
  readonly t: 'string';
  readonly codes: Int32Array;
  readonly dict: Dictionary;
  readonly validity: Validity | undefined;
}
/** A string literal stays a literal so that comparisons can look its code up once per batch. */
interface StrLit {
  readonly t: 'strlit';
  readonly value: string;
}
/** A string-typed null (the `null` literal where a string is expected). */
interface StrNull {
  readonly t: 'strnull';
}
type StrOperand = StrVec | StrLit | StrNull;

interface Ctx {
  readonly batch: Batch;
  readonly n: number;
  readonly resolve: Resolver | undefined;
}
type Kernel<T> = (ctx: Ctx) => T;

/**
 * Compiles `ast` (type-checked against `scope` first) into a function that evaluates it over a batch.
 * Identifiers are the batch's columns by name, then whatever `resolve` returns.
 * The result is a float64 column for numbers, a bool column for bools and a dictionary column
 * for strings. It may share buffers with the batch's columns: treat it as read-only.
 *
 * @example
 * const z = compileExpression(parse('(amount - mean) / std'), { amount: 'number', mean: 'number', std: 'number' });
 * const batch = makeBatch(Float64Array.of(0, 1), {
 *   amount: float64Column(Float64Array.of(12, 7)),
 *   mean: float64Column(Float64Array.of(10, 10)),
 *   std: float64Column(Float64Array.of(2, 0)),
 * });
 * valueAt(z(batch), 0); // 1
 * valueAt(z(batch), 1); // null: division by zero
 * @throws ExpressionError when the expression does not type-check (at compile time) or a column is
 *   missing or of the wrong type (at evaluation time)
 */
export function compileExpression(ast: Expr, scope: Scope, source?: string): Evaluator {
  const { type, types } = annotate(ast, scope, source);
  const c = new Compiler(types, source);
  let run: (ctx: Ctx) => Column;
  switch (type) {
    case 'bool': {
      const k = c.bool(ast);
      run = (ctx) => {
        const v = k(ctx);
        const col: BoolColumn = v.validity === undefined ? { type: 'bool', values: v.values } : { type: 'bool', values: v.values, validity: v.validity };
        return col;
      };
      break;
    }
    case 'string': {
      const k = c.str(ast);
      const merger = c.merger();
      run = (ctx) => {
        const v = materialize(k(ctx), ctx.n, merger);
        return dictColumn(v.codes, v.dict, v.validity);
      };
      break;
    }
    default: {
      const k = c.num(ast);
      run = (ctx) => {
        const v = k(ctx);
        return float64Column(v.values, v.validity);
      };
    }
  }
  const evaluate = (batch: Batch, resolve?: Resolver): Column => run({ batch, n: batch.length, resolve });
  return Object.assign(evaluate, { type, dictionaries: c.mergers.map((m) => m.dict) });
}

/**
 * Compiles a filter: `ast` must be a bool expression. The mask has 1 where the expression is
 * true and 0 where it is false or null (SQL WHERE semantics).
 *
 * @example
 * const keep = compilePredicate(parse('amount > 10 or flagged'), { amount: 'number', flagged: 'bool' });
 * const batch = makeBatch(Float64Array.of(0, 1, 2), {
 *   amount: float64Column(Float64Array.of(25, 5, 0), Uint8Array.of(0b011)), // row 2 is null
 *   flagged: { type: 'bool', values: Uint8Array.of(0, 0, 0) },
 * });
 * keep(batch); // Uint8Array [1, 0, 0]: null > 10 is null, null or false is null, and null filters out
 * @throws ExpressionError (kind 'type') when the expression is not a bool
 */
export function compilePredicate(ast: Expr, scope: Scope, source?: string): PredicateEvaluator {
  const evaluate = compileExpression(ast, scope, source);
  if (evaluate.type !== 'bool' && evaluate.type !== 'null') {
    throw new ExpressionError('type', `a filter must be a bool expression, got ${evaluate.type}`, ast.pos, { end: ast.end, source });
  }
  return (batch, resolve) => {
    const col = evaluate(batch, resolve);
    if (col.type !== 'bool') return new Uint8Array(batch.length); // only the literal null gets here
    return predicateMask(col);
  };
}

/** 1 where `col` is true, 0 where it is false or null. */
export function predicateMask(col: BoolColumn): Uint8Array {
  const n = col.values.length;
  const out = new Uint8Array(n);
  const x = col.values;
  const v = col.validity;
  if (v === undefined) {
    for (let i = 0; i < n; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = x[i] !== 0 && ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 1 : 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validity bitmaps

const bit = (v: Validity, i: number): number => (v[i >> 3]! >> (i & 7)) & 1;

/** Rows valid in both. Returns an input as is when the other has no nulls (inputs are never written). */
function both(a: Validity | undefined, b: Validity | undefined, n: number): Validity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const bytes = (n + 7) >> 3;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = a[i]! & b[i]!;
  return out;
}

/** A copy of `v` (or an all-valid bitmap) that this node may clear bits in. */
function writable(v: Validity | undefined, n: number): Validity {
  return v === undefined ? allocValidity(n, true) : v.slice(0, (n + 7) >> 3);
}

function clearBit(v: Validity, i: number): void {
  v[i >> 3]! &= ~(1 << (i & 7));
}

function setBit(v: Validity, i: number): void {
  v[i >> 3]! |= 1 << (i & 7);
}

// ---------------------------------------------------------------------------------------------
// Strings

/**
 * Maps the codes of several dictionaries into one output dictionary, for string comparisons
 * across columns and for string-valued if/coalesce. One per compiled node, kept across batches:
 * dictionaries are append-only, so each batch only translates the entries added since the last
 * one, and the output codes stay stable from batch to batch. No string work happens per row.
 */
class DictMerger {
  readonly dict = new Dictionary();
  private readonly maps = new WeakMap<Dictionary, number[]>();

  remap(v: StrVec, n: number): Int32Array {
    let map = this.maps.get(v.dict);
    if (map === undefined) this.maps.set(v.dict, (map = []));
    for (let c = map.length; c < v.dict.size; c++) map.push(this.dict.encode(v.dict.decode(c)));
    const out = new Int32Array(n);
    const codes = v.codes;
    const size = map.length;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      out[i] = c >= 0 && c < size ? map[c]! : -1; // out of range only in null rows
    }
    return out;
  }

  code(value: string): number {
    return this.dict.encode(value);
  }
}

/** `parts` as code arrays over one dictionary: their own when they share one, else the merger's. */
function commonCodes(parts: readonly StrOperand[], n: number, merger: DictMerger): { dict: Dictionary; lanes: Lane<Int32Array>[] } {
  let shared: Dictionary | undefined;
  let mixed = false;
  for (const p of parts) {
    if (p.t === 'strlit') mixed = true;
    else if (p.t === 'string') {
      if (shared === undefined) shared = p.dict;
      else if (shared !== p.dict) mixed = true;
    }
  }
  const dict = !mixed && shared !== undefined ? shared : merger.dict;
  const lanes = parts.map((p): Lane<Int32Array> => {
    switch (p.t) {
      case 'strnull':
        return { values: new Int32Array(n), validity: allocValidity(n, false) };
      case 'strlit':
        return { values: new Int32Array(n).fill(merger.code(p.value)), validity: undefined };
      case 'string':
        return { values: p.dict === dict ? p.codes : merger.remap(p, n), validity: p.validity };
    }
  });
  return { dict, lanes };
}

function materialize(p: StrOperand, n: number, merger: DictMerger): StrVec {
  if (p.t === 'string') return p;
  const { dict, lanes } = commonCodes([p], n, merger);
  return { t: 'string', codes: lanes[0]!.values, dict, validity: lanes[0]!.validity };
}

// ---------------------------------------------------------------------------------------------
// Kernels shared by every value type

interface Lane<A> {
  readonly values: A;
  readonly validity: Validity | undefined;
}
type Values = Float64Array | Uint8Array | Int32Array;

/** if(cond, a, b): a where cond is true, b where it is false or null. */
function select<A extends Values>(cond: BoolVec, a: Lane<A>, b: Lane<A>, n: number, out: A): Lane<A> {
  const c = cond.values;
  const cv = cond.validity;
  const x = a.values;
  const y = b.values;
  const av = a.validity;
  const bv = b.validity;
  if (av === undefined && bv === undefined) {
    if (cv === undefined) for (let i = 0; i < n; i++) out[i] = c[i] !== 0 ? x[i]! : y[i]!;
    else for (let i = 0; i < n; i++) out[i] = c[i] !== 0 && bit(cv, i) === 1 ? x[i]! : y[i]!;
    return { values: out, validity: undefined };
  }
  const validity = allocValidity(n, false);
  for (let i = 0; i < n; i++) {
    const take = c[i] !== 0 && (cv === undefined || bit(cv, i) === 1);
    out[i] = take ? x[i]! : y[i]!;
    const v = take ? av : bv;
    if (v === undefined || bit(v, i) === 1) setBit(validity, i);
  }
  return { values: out, validity };
}

/** coalesce(a, b, ...): in each row the first valid lane. */
function coalesce<A extends Values>(lanes: readonly Lane<A>[], n: number, out: A): Lane<A> {
  const first = lanes[0]!;
  if (first.validity === undefined) return first;
  out.set(first.values.subarray(0, n) as never);
  const validity = first.validity.slice(0, (n + 7) >> 3);
  for (let k = 1; k < lanes.length; k++) {
    const lane = lanes[k]!;
    const x = lane.values;
    const lv = lane.validity;
    for (let i = 0; i < n; i++) {
      if (bit(validity, i) === 0 && (lv === undefined || bit(lv, i) === 1)) {
        out[i] = x[i]!;
        setBit(validity, i);
      }
    }
  }
  return { values: out, validity };
}

function isNullMask(validity: Validity | undefined, n: number): BoolVec {
  const out = new Uint8Array(n);
  if (validity !== undefined) for (let i = 0; i < n; i++) out[i] = 1 - bit(validity, i);
  return { t: 'bool', values: out, validity: undefined };
}

const allNullNum = (n: number): NumVec => ({ t: 'number', values: new Float64Array(n), validity: allocValidity(n, false) });
const allNullBool = (n: number): BoolVec => ({ t: 'bool', values: new Uint8Array(n), validity: allocValidity(n, false) });

// ---------------------------------------------------------------------------------------------
// Number kernels

function arithmetic(op: string, a: NumVec, b: NumVec, n: number): NumVec {
  const x = a.values;
  const y = b.values;
  const out = new Float64Array(n);
  let validity = both(a.validity, b.validity, n);
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
      break;
    case '-':
      for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
      break;
    case '*':
      for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
      break;
    case '/':
    case '%': {
      let zero = false;
      if (op === '/') {
        for (let i = 0; i < n; i++) {
          const d = y[i]!;
          if (d === 0) zero = true;
          out[i] = x[i]! / d;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const d = y[i]!;
          if (d === 0) zero = true;
          out[i] = x[i]! % d;
        }
      }
      // Second pass only when a divisor was zero: the common case stays one branch-light loop.
      if (zero) {
        validity = writable(validity, n);
        for (let i = 0; i < n; i++) if (y[i] === 0) clearBit(validity, i);
      }
      break;
    }
    default:
      throw new Error(`no kernel for '${op}'`);
  }
  return { t: 'number', values: out, validity };
}

function numericCall(name: string, args: readonly NumVec[], n: number): NumVec {
  const a = args[0]!;
  const x = a.values;
  const out = new Float64Array(n);
  let validity = a.validity;
  /** Rows where the function has no value become null (second pass, only when there are any). */
  let undefinedAt: ((i: number) => boolean) | undefined;
  switch (name) {
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      break;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      break;
    case 'floor':
      for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]!);
      break;
    case 'ceil':
      for (let i = 0; i < n; i++) out[i] = Math.ceil(x[i]!);
      break;
    case 'round':
      // Halves away from zero, as SQL rounds; Math.round alone would take -2.5 to -2.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v < 0 ? -Math.round(-v) : Math.round(v);
      }
      break;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]!);
      break;
    case 'log':
    case 'log10':
    case 'sqrt': {
      const f = name === 'log' ? Math.log : name === 'log10' ? Math.log10 : Math.sqrt;
      const strict = name !== 'sqrt'; // log needs x > 0, sqrt x >= 0
      let bad = false;
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (v < 0 || (strict && v === 0)) bad = true;
        out[i] = f(v);
      }
      if (bad) undefinedAt = (i) => x[i]! < 0 || (strict && x[i] === 0);
      break;
    }
    case 'pow': {
      const b = args[1]!;
      const y = b.values;
      validity = both(validity, b.validity, n);
      let bad = false;
      for (let i = 0; i < n; i++) {
        const r = Math.pow(x[i]!, y[i]!);
        if (r !== r || (x[i] === 0 && y[i]! < 0)) bad = true;
        out[i] = r;
      }
      if (bad) undefinedAt = (i) => powUndefined(x[i]!, y[i]!);
      break;
    }
    case 'min':
    case 'max': {
      out.set(x.subarray(0, n));
      const f = name === 'min' ? Math.min : Math.max;
      for (let k = 1; k < args.length; k++) {
        const y = args[k]!.values;
        validity = both(validity, args[k]!.validity, n);
        for (let i = 0; i < n; i++) out[i] = f(out[i]!, y[i]!);
      }
      break;
    }
    case 'clip': {
      const lo = args[1]!;
      const hi = args[2]!;
      validity = both(both(validity, lo.validity, n), hi.validity, n);
      const l = lo.values;
      const h = hi.values;
      for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i]!, l[i]!), h[i]!);
      break;
    }
    default:
      throw new Error(`no kernel for function '${name}'`);
  }
  if (undefinedAt !== undefined) {
    const v = writable(validity, n);
    for (let i = 0; i < n; i++) if (undefinedAt(i)) clearBit(v, i);
    validity = v;
  }
  return { t: 'number', values: out, validity };
}

/** pow has no value: 0 to a negative power (a division by zero), or NaN out of non-NaN inputs (a negative base to a fractional power). */
function powUndefined(x: number, y: number): boolean {
  if (x === 0 && y < 0) return true;
  return Number.isNaN(Math.pow(x, y)) && !Number.isNaN(x) && !Number.isNaN(y);
}

function compareNumbers(op: string, a: NumVec, b: NumVec, n: number): BoolVec {
  const x = a.values;
  const y = b.values;
  const out = new Uint8Array(n);
  switch (op) {
    case '<':
      for (let i = 0; i < n; i++) out[i] = x[i]! < y[i]! ? 1 : 0;
      break;
    case '<=':
      for (let i = 0; i < n; i++) out[i] = x[i]! <= y[i]! ? 1 : 0;
      break;
    case '>':
      for (let i = 0; i < n; i++) out[i] = x[i]! > y[i]! ? 1 : 0;
      break;
    case '>=':
      for (let i = 0; i < n; i++) out[i] = x[i]! >= y[i]! ? 1 : 0;
      break;
    case '==':
      for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? 1 : 0;
      break;
    case '!=':
      for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? 1 : 0;
      break;
    default:
      throw new Error(`no kernel for '${op}'`);
  }
  return { t: 'bool', values: out, validity: both(a.validity, b.validity, n) };
}

// ---------------------------------------------------------------------------------------------
// Bool kernels

function compareBools(negate: boolean, a: BoolVec, b: BoolVec, n: number): BoolVec {
  const x = a.values;
  const y = b.values;
  const out = new Uint8Array(n);
  const hit = negate ? 0 : 1;
  for (let i = 0; i < n; i++) out[i] = (x[i] !== 0) === (y[i] !== 0) ? hit : 1 - hit;
  return { t: 'bool', values: out, validity: both(a.validity, b.validity, n) };
}

/** `codes == literal`: the literal's code is looked up once; the loop compares int32s. */
function compareCodesToLiteral(negate: boolean, v: StrVec, literal: string, n: number): BoolVec {
  const code = v.dict.lookup(literal); // -1 when absent: then no row matches
  const codes = v.codes;
  const out = new Uint8Array(n);
  const hit = negate ? 0 : 1;
  for (let i = 0; i < n; i++) out[i] = codes[i] === code ? hit : 1 - hit;
  return { t: 'bool', values: out, validity: v.validity };
}

function compareStrings(negate: boolean, a: StrOperand, b: StrOperand, n: number, merger: DictMerger): BoolVec {
  if (a.t === 'strnull' || b.t === 'strnull') return allNullBool(n);
  if (a.t === 'strlit' && b.t === 'strlit') {
    return { t: 'bool', values: new Uint8Array(n).fill((a.value === b.value) !== negate ? 1 : 0), validity: undefined };
  }
  if (b.t === 'strlit') return compareCodesToLiteral(negate, a as StrVec, b.value, n);
  if (a.t === 'strlit') return compareCodesToLiteral(negate, b, a.value, n);
  // Two columns: codes are comparable directly when they share a dictionary, else through the merger.
  const x = a.dict === b.dict ? a.codes : merger.remap(a, n);
  const y = a.dict === b.dict ? b.codes : merger.remap(b, n);
  const out = new Uint8Array(n);
  const hit = negate ? 0 : 1;
  for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? hit : 1 - hit;
  return { t: 'bool', values: out, validity: both(a.validity, b.validity, n) };
}

function not(a: BoolVec, n: number): BoolVec {
  const x = a.values;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] !== 0 ? 0 : 1;
  return { t: 'bool', values: out, validity: a.validity };
}

/**
 * Three-valued `and` / `or`. For `and`, a valid false on either side decides (false); for `or`, a
 * valid true does (true); otherwise a null on either side makes the result null.
 */
function logical(op: 'and' | 'or', a: BoolVec, b: BoolVec, n: number): BoolVec {
  const x = a.values;
  const y = b.values;
  const av = a.validity;
  const bv = b.validity;
  const out = new Uint8Array(n);
  const isAnd = op === 'and';
  if (av === undefined && bv === undefined) {
    if (isAnd) for (let i = 0; i < n; i++) out[i] = x[i] !== 0 && y[i] !== 0 ? 1 : 0;
    else for (let i = 0; i < n; i++) out[i] = x[i] !== 0 || y[i] !== 0 ? 1 : 0;
    return { t: 'bool', values: out, validity: undefined };
  }
  const validity = allocValidity(n, false);
  const decider = isAnd ? 0 : 1; // the value that decides the result on its own
  for (let i = 0; i < n; i++) {
    const aOk = av === undefined || bit(av, i) === 1;
    const bOk = bv === undefined || bit(bv, i) === 1;
    const xa = x[i] !== 0 ? 1 : 0;
    const yb = y[i] !== 0 ? 1 : 0;
    if ((aOk && xa === decider) || (bOk && yb === decider)) {
      out[i] = decider;
      setBit(validity, i);
    } else if (aOk && bOk) {
      out[i] = 1 - decider;
      setBit(validity, i);
    }
  }
  return { t: 'bool', values: out, validity };
}

// ---------------------------------------------------------------------------------------------
// The compiler: one closure per node, chosen by the node's checked type

class Compiler {
  /** Mergers whose codes leave the evaluator (string results), in compile order: checkpointed state. */
  readonly mergers: DictMerger[] = [];

  constructor(
    private readonly types: ReadonlyMap<Expr, ExprType>,
    private readonly source: string | undefined,
  ) {}

  merger(): DictMerger {
    const m = new DictMerger();
    this.mergers.push(m);
    return m;
  }

  private typeOf(node: Expr): ExprType {
    const t = this.types.get(node);
    if (t === undefined) throw new Error('internal: node was not type-checked');
    return t;
  }

  /** The value type that a group of sibling operands shares (null-only operands take it from the others). */
  private common(nodes: readonly Expr[], fallback: ValueType): ValueType {
    for (const n of nodes) {
      const t = this.typeOf(n);
      if (t !== 'null') return t;
    }
    return fallback;
  }

  num(node: Expr): Kernel<NumVec> {
    if (this.typeOf(node) === 'null') return (ctx) => allNullNum(ctx.n);
    switch (node.kind) {
      case 'number': {
        const value = node.value;
        return (ctx) => ({ t: 'number', values: new Float64Array(ctx.n).fill(value), validity: undefined });
      }
      case 'ident':
        return this.numberColumn(node);
      case 'unary': {
        const k = this.num(node.operand);
        return (ctx) => {
          const a = k(ctx);
          const x = a.values;
          const out = new Float64Array(ctx.n);
          for (let i = 0; i < ctx.n; i++) out[i] = -x[i]!;
          return { t: 'number', values: out, validity: a.validity };
        };
      }
      case 'binary': {
        const l = this.num(node.left);
        const r = this.num(node.right);
        const op = node.op;
        return (ctx) => arithmetic(op, l(ctx), r(ctx), ctx.n);
      }
      case 'call':
        if (node.name === 'if' || node.name === 'coalesce') {
          return this.generic(node, 'number', (n) => new Float64Array(n), (lane) => ({ t: 'number', ...lane }));
        }
        {
          const args = node.args.map((a) => this.num(a));
          const name = node.name;
          return (ctx) => numericCall(name, args.map((k) => k(ctx)), ctx.n);
        }
      default:
        throw this.internal(node, 'number');
    }
  }

  bool(node: Expr): Kernel<BoolVec> {
    if (this.typeOf(node) === 'null') return (ctx) => allNullBool(ctx.n);
    switch (node.kind) {
      case 'bool': {
        const value = node.value ? 1 : 0;
        return (ctx) => ({ t: 'bool', values: new Uint8Array(ctx.n).fill(value), validity: undefined });
      }
      case 'ident':
        return this.boolColumn(node);
      case 'unary': {
        const k = this.bool(node.operand);
        return (ctx) => not(k(ctx), ctx.n);
      }
      case 'binary':
        return this.boolBinary(node);
      case 'call':
        if (node.name === 'is_null') {
          const arg = node.args[0]!;
          const t = this.common([arg], 'number');
          if (t === 'string') {
            const k = this.str(arg);
            return (ctx) => {
              const v = k(ctx);
              if (v.t === 'strlit') return isNullMask(undefined, ctx.n);
              return isNullMask(v.t === 'strnull' ? allocValidity(ctx.n, false) : v.validity, ctx.n);
            };
          }
          const k = t === 'bool' ? this.bool(arg) : this.num(arg);
          return (ctx) => isNullMask(k(ctx).validity, ctx.n);
        }
        return this.generic(node, 'bool', (n) => new Uint8Array(n), (lane) => ({ t: 'bool', ...lane }));
      default:
        throw this.internal(node, 'bool');
    }
  }

  str(node: Expr): Kernel<StrOperand> {
    if (this.typeOf(node) === 'null') return () => ({ t: 'strnull' });
    switch (node.kind) {
      case 'string': {
        const lit: StrLit = { t: 'strlit', value: node.value };
        return () => lit;
      }
      case 'ident':
        return this.stringColumn(node);
      case 'call': {
        // String-valued if / coalesce: bring every operand into one dictionary, then pick codes.
        const merger = this.merger();
        if (node.name === 'if') {
          const cond = this.bool(node.args[0]!);
          const a = this.str(node.args[1]!);
          const b = this.str(node.args[2]!);
          return (ctx) => {
            const { dict, lanes } = commonCodes([a(ctx), b(ctx)], ctx.n, merger);
            const r = select(cond(ctx), lanes[0]!, lanes[1]!, ctx.n, new Int32Array(ctx.n));
            return { t: 'string', codes: r.values, dict, validity: r.validity };
          };
        }
        if (node.name === 'coalesce') {
          const args = node.args.map((a) => this.str(a));
          return (ctx) => {
            const { dict, lanes } = commonCodes(
              args.map((k) => k(ctx)),
              ctx.n,
              merger,
            );
            const r = coalesce(lanes, ctx.n, new Int32Array(ctx.n));
            return { t: 'string', codes: r.values, dict, validity: r.validity };
          };
        }
        throw this.internal(node, 'string');
      }
      default:
        throw this.internal(node, 'string');
    }
  }

  /** if / coalesce over numbers or bools: the same kernels, another array type. */
  private generic<V, A extends Values>(node: Call, t: 'number' | 'bool', alloc: (n: number) => A, wrap: (lane: Lane<A>) => V): Kernel<V> {
    const lane = (e: Expr): Kernel<Lane<A>> => (t === 'number' ? this.num(e) : this.bool(e)) as unknown as Kernel<Lane<A>>;
    if (node.name === 'if') {
      const cond = this.bool(node.args[0]!);
      const a = lane(node.args[1]!);
      const b = lane(node.args[2]!);
      return (ctx) => wrap(select(cond(ctx), a(ctx), b(ctx), ctx.n, alloc(ctx.n)));
    }
    if (node.name === 'coalesce') {
      const args = node.args.map(lane);
      return (ctx) => wrap(coalesce(args.map((k) => k(ctx)), ctx.n, alloc(ctx.n)));
    }
    throw this.internal(node, t);
  }

  private boolBinary(node: Binary): Kernel<BoolVec> {
    const op = node.op;
    if (op === 'and' || op === 'or') {
      const l = this.bool(node.left);
      const r = this.bool(node.right);
      return (ctx) => logical(op, l(ctx), r(ctx), ctx.n);
    }
    const t = this.common([node.left, node.right], 'number');
    if (t === 'number') {
      const l = this.num(node.left);
      const r = this.num(node.right);
      return (ctx) => compareNumbers(op, l(ctx), r(ctx), ctx.n);
    }
    const negate = op === '!=';
    if (op !== '==' && op !== '!=') throw this.internal(node, 'bool');
    if (t === 'bool') {
      const l = this.bool(node.left);
      const r = this.bool(node.right);
      return (ctx) => compareBools(negate, l(ctx), r(ctx), ctx.n);
    }
    const l = this.str(node.left);
    const r = this.str(node.right);
    const merger = new DictMerger();
    return (ctx) => compareStrings(negate, l(ctx), r(ctx), ctx.n, merger);
  }

  // -- columns ----------------------------------------------------------------------------------

  private column(node: Identifier, ctx: Ctx): Column {
    const { batch, resolve } = ctx;
    const name = node.name;
    // Own properties only: a column called `constructor` must not find Object.prototype.constructor.
    let c: Column | undefined = Object.hasOwn(batch.columns, name) ? batch.columns[name] : undefined;
    if (c === undefined && resolve !== undefined) c = resolve(name);
    if (c === undefined) {
      const suggestion = closest(name, Object.keys(batch.columns));
      throw new ExpressionError('eval', withSuggestion(`column '${name}' is not in the batch`, suggestion), node.pos, {
        end: node.end,
        source: this.source,
        suggestion,
      });
    }
    if (columnLength(c) !== ctx.n) {
      throw new ExpressionError('eval', `column '${name}' has ${columnLength(c)} rows, the batch has ${ctx.n}`, node.pos, {
        end: node.end,
        source: this.source,
      });
    }
    return c;
  }

  private mismatch(node: Identifier, c: Column, want: ValueType): ExpressionError {
    return new ExpressionError('eval', `column '${node.name}' is ${c.type} in the batch, but the expression was checked with it as ${want}`, node.pos, {
      end: node.end,
      source: this.source,
    });
  }

  private numberColumn(node: Identifier): Kernel<NumVec> {
    return (ctx) => {
      const c = this.column(node, ctx);
      switch (c.type) {
        case 'float64':
        case 'int64':
        case 'timestamp':
          return { t: 'number', values: c.values, validity: c.validity };
        case 'int32':
          return { t: 'number', values: Float64Array.from(c.values), validity: c.validity };
        default:
          throw this.mismatch(node, c, 'number');
      }
    };
  }

  private boolColumn(node: Identifier): Kernel<BoolVec> {
    return (ctx) => {
      const c = this.column(node, ctx);
      if (c.type !== 'bool') throw this.mismatch(node, c, 'bool');
      return { t: 'bool', values: c.values, validity: c.validity };
    };
  }

  private stringColumn(node: Identifier): Kernel<StrVec> {
    return (ctx) => {
      const c = this.column(node, ctx);
      if (c.type !== 'dictionary') throw this.mismatch(node, c, 'string');
      return { t: 'string', codes: c.codes, dict: c.dictionary, validity: c.validity };
    };
  }

  private internal(node: Expr, t: string): Error {
    return new Error(`internal: no ${t} kernel for a ${node.kind} node`);
  }
}
