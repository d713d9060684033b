/**
 * Tributary's expression language, for derived features, filters and computed columns:
 *
 *   (amount - spend_mean_30d) / spend_std_30d
 *   status == 'failed' and amount > 10
 *   if(counter % 10 == 0, 0, counter)
 *
 * Text is parsed by our own recursive-descent parser and evaluated by typed-array kernels,
 * never by `eval` or `new Function`, so config text can only ever compute, not execute.
 * Semantics (nulls, division by zero, ...) are documented in ./evaluate.ts.
 */
import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import { type Expr, identifiersOf } from './ast.js';
import { compileExpression, compilePredicate, type Evaluator, type PredicateEvaluator, type Resolver } from './evaluate.js';
import { parse } from './parse.js';
import { formatExpression } from './print.js';
import { check, type ExprType, type Scope, type ValueType } from './typecheck.js';

export type { Expr, Position, BinaryOp, UnaryOp } from './ast.js';
export { identifiersOf } from './ast.js';
export { ExpressionError, type ExpressionErrorKind } from './errors.js';
export { FUNCTIONS, FUNCTION_NAMES, type FunctionSpec } from './functions.js';
export { parse } from './parse.js';
export { check, type ExprType, type Scope, type ValueType } from './typecheck.js';
export { compileExpression, compilePredicate, predicateMask, restoreDictionaries, type Evaluator, type PredicateEvaluator, type Resolver } from './evaluate.js';
export { formatExpression } from './print.js';
export { closest } from './suggest.js';

/**
 * A parsed expression.
 *
 * @example
 * const e = parseExpression('(amount - spend_mean_30d) / spend_std_30d');
 * e.identifiers; // ['amount', 'spend_mean_30d', 'spend_std_30d']
 * e.check({ amount: 'number', spend_mean_30d: 'number', spend_std_30d: 'number' }); // 'number'
 * String(parseExpression('(a+b)*c')); // '(a + b) * c'
 */
export interface Expression {
  /** The text it was parsed from. */
  readonly text: string;
  readonly ast: Expr;
  /** The column names it references, each once, in order of first appearance (for dependency graphs). */
  readonly identifiers: readonly string[];
  /** Type-checks against `scope` and returns the result type. @throws ExpressionError */
  check(scope: Scope): ExprType;
  /** Checks against `scope` and compiles; call the result once per batch. @throws ExpressionError */
  compile(scope: Scope): Evaluator;
  /** Compiles as a filter (must be bool). @throws ExpressionError */
  compilePredicate(scope: Scope): PredicateEvaluator;
  /**
   * Evaluates over `batch`, typing each column from the batch itself (dictionary columns are
   * strings, bool columns bools, the rest numbers). The compiled form is cached per set of
   * column types, so calling this for every batch is cheap. Numbers come back as a float64
   * column, bools as a bool column, strings as a dictionary column; an expression that can only
   * be null (the literal `null`) gives an all-null float64 column.
   * @throws ExpressionError
   */
  evaluate(batch: Batch, resolve?: Resolver): Column;
  /** Like evaluate, for a bool expression: a 0/1 mask, null counting as false. @throws ExpressionError */
  evaluatePredicate(batch: Batch, resolve?: Resolver): Uint8Array;
  /** Canonical text (see formatExpression). */
  toString(): string;
}

/**
 * Parses expression text.
 *
 * @example
 * const d = new Dictionary();
 * const batch = makeBatch(Float64Array.of(0, 1000), {
 *   status: dictColumn(Int32Array.of(d.encode('failed'), d.encode('ok')), d),
 *   amount: float64Column(Float64Array.of(25, 40)),
 * });
 * parseExpression("status == 'failed' and amount > 10").evaluatePredicate(batch); // Uint8Array [1, 0]
 * parseExpression('amount / 0').evaluate(batch); // float64 column, both rows null
 * @throws ExpressionError with `position` ({offset, line, column}) and a caret `excerpt`
 */
export function parseExpression(text: string): Expression {
  const ast = parse(text);
  const identifiers = Object.freeze(identifiersOf(ast));
  const evaluators = new Map<string, Evaluator>();
  const predicates = new Map<string, PredicateEvaluator>();

  /** The scope this batch implies, and a cache key for it. */
  const batchScope = (batch: Batch, resolve: Resolver | undefined): { scope: Map<string, ValueType>; key: string } => {
    const scope = new Map<string, ValueType>();
    for (const [name, c] of Object.entries(batch.columns)) scope.set(name, valueTypeOf(c));
    let key = '';
    for (const name of identifiers) {
      let t = scope.get(name);
      if (t === undefined && resolve !== undefined) {
        const c = resolve(name);
        if (c !== undefined) scope.set(name, (t = valueTypeOf(c)));
      }
      key += `${t ?? '?'},`;
    }
    return { scope, key };
  };

  return {
    text,
    ast,
    identifiers,
    check: (scope) => check(ast, scope, text),
    compile: (scope) => compileExpression(ast, scope, text),
    compilePredicate: (scope) => compilePredicate(ast, scope, text),
    evaluate(batch, resolve) {
      const { scope, key } = batchScope(batch, resolve);
      let ev = evaluators.get(key);
      if (ev === undefined) evaluators.set(key, (ev = compileExpression(ast, scope, text)));
      return ev(batch, resolve);
    },
    evaluatePredicate(batch, resolve) {
      const { scope, key } = batchScope(batch, resolve);
      let ev = predicates.get(key);
      if (ev === undefined) predicates.set(key, (ev = compilePredicate(ast, scope, text)));
      return ev(batch, resolve);
    },
    toString: () => formatExpression(ast),
  };
}

/** How the expression language sees a column's type. */
export function valueTypeOf(c: Column): ValueType {
  return c.type === 'dictionary' ? 'string' : c.type === 'bool' ? 'bool' : 'number';
}
