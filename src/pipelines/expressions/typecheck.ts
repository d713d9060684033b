import { ARITHMETIC_OPS, EQUALITY_OPS, type Expr, LOGICAL_OPS, ORDERING_OPS } from './ast.js';
import { ExpressionError, withSuggestion } from './errors.js';
import { FUNCTIONS } from './functions.js';
import { closest } from './suggest.js';

/** The type of a column as the expression language sees it. int32, int64, float64 and timestamp are all `number`. */
export type ValueType = 'number' | 'bool' | 'string';

/** The type of an expression: a ValueType, or `null` for one that can only be null (the literal `null`). */
export type ExprType = ValueType | 'null';

/** Column name → type. A Map or a plain record; a record is only read through its own properties. */
export type Scope = Readonly<Record<string, ValueType>> | ReadonlyMap<string, ValueType>;

const VALUE_TYPES: ReadonlySet<string> = new Set(['number', 'bool', 'string']);

/** The type `scope` gives `name`, or undefined. Own properties only: `__proto__` or `constructor` are never found by accident. */
export function scopeType(scope: Scope, name: string): ValueType | undefined {
  const t = scope instanceof Map ? scope.get(name) : Object.hasOwn(scope, name) ? (scope as Record<string, ValueType>)[name] : undefined;
  if (t !== undefined && !VALUE_TYPES.has(t)) {
    throw new TypeError(`scope gives column '${name}' the type '${String(t)}'; expected 'number', 'bool' or 'string'`);
  }
  return t;
}

export function scopeNames(scope: Scope): string[] {
  return scope instanceof Map ? [...scope.keys()] : Object.keys(scope);
}

/** The result of checking: the expression's type, and the type of every node (for the compiler). */
export interface TypedTree {
  readonly type: ExprType;
  readonly types: ReadonlyMap<Expr, ExprType>;
}

/**
 * Type-checks `ast` against `scope` and returns the type of its result.
 * Pass the expression text as `source` to get caret excerpts in errors.
 *
 * Rules: arithmetic and ordering need numbers; `==`/`!=` need both sides of one type (so
 * `status == 'failed'` on a string column is fine, `status < 'b'` is not); `and`/`or`/`not` and
 * the condition of `if` need bools; comparing with the literal null is an error (it is always
 * null; use is_null). The literal null fits anywhere a value is expected.
 *
 * @example
 * check(parse("status == 'failed' and amount > 10"), { status: 'string', amount: 'number' }); // 'bool'
 * @throws ExpressionError (kind 'name' for unknown columns, 'type' for type errors), positioned at the offending node
 */
export function check(ast: Expr, scope: Scope, source?: string): ExprType {
  return annotate(ast, scope, source).type;
}

/** Like check, but also returns the type of every node. */
export function annotate(ast: Expr, scope: Scope, source?: string): TypedTree {
  const types = new Map<Expr, ExprType>();
  const fail = (node: Expr, reason: string, kind: 'type' | 'name' = 'type', suggestion?: string): never => {
    throw new ExpressionError(kind, reason, node.pos, { end: node.end, source, suggestion });
  };
  const expect = (node: Expr, t: ExprType, want: ValueType, what: string): void => {
    if (t !== want && t !== 'null') fail(node, `${what} needs ${want === 'bool' ? 'a bool' : `a ${want}`}, got ${t}`);
  };
  /** The common type of `nodes` ignoring null-only ones; fails at the first that disagrees. */
  const unify = (nodes: readonly Expr[], ts: readonly ExprType[], what: string): ExprType => {
    let common: ExprType = 'null';
    for (let i = 0; i < nodes.length; i++) {
      const t = ts[i]!;
      if (t === 'null') continue;
      if (common === 'null') common = t;
      else if (t !== common) fail(nodes[i]!, `${what} must have the same type: ${common} and ${t}`);
    }
    return common;
  };

  const visit = (node: Expr): ExprType => {
    const t = typeOf(node);
    types.set(node, t);
    return t;
  };

  const typeOf = (node: Expr): ExprType => {
    switch (node.kind) {
      case 'number':
        return 'number';
      case 'string':
        return 'string';
      case 'bool':
        return 'bool';
      case 'null':
        return 'null';
      case 'ident': {
        const t = scopeType(scope, node.name);
        if (t === undefined) {
          const suggestion = closest(node.name, scopeNames(scope));
          return fail(node, withSuggestion(`unknown column '${node.name}'`, suggestion), 'name', suggestion);
        }
        return t;
      }
      case 'unary': {
        const t = visit(node.operand);
        if (node.op === '-') {
          expect(node.operand, t, 'number', "'-'");
          return 'number';
        }
        expect(node.operand, t, 'bool', "'not'");
        return 'bool';
      }
      case 'binary': {
        const l = visit(node.left);
        const r = visit(node.right);
        const op = `'${node.op}'`;
        if (ARITHMETIC_OPS.has(node.op)) {
          expect(node.left, l, 'number', op);
          expect(node.right, r, 'number', op);
          return 'number';
        }
        if (LOGICAL_OPS.has(node.op)) {
          expect(node.left, l, 'bool', op);
          expect(node.right, r, 'bool', op);
          return 'bool';
        }
        // Comparisons.
        if (node.left.kind === 'null' || node.right.kind === 'null') {
          fail(node.left.kind === 'null' ? node.left : node.right, 'comparison with null is always null; use is_null(x) instead');
        }
        if (ORDERING_OPS.has(node.op)) {
          for (const [side, t] of [[node.left, l], [node.right, r]] as const) {
            if (t === 'string') fail(side, `${op} cannot order strings; only == and != compare strings`);
            expect(side, t, 'number', op);
          }
          return 'bool';
        }
        if (EQUALITY_OPS.has(node.op) && l !== r && l !== 'null' && r !== 'null') {
          fail(node.right, `cannot compare ${l} with ${r}`);
        }
        return 'bool';
      }
      case 'call': {
        const spec = FUNCTIONS.get(node.name);
        if (spec === undefined) return fail(node, `unknown function '${node.name}'`, 'name');
        const ts = node.args.map(visit);
        if (spec.kind === 'numeric') {
          node.args.forEach((a, i) => expect(a, ts[i]!, 'number', `${node.name} argument ${i + 1}`));
          return 'number';
        }
        switch (node.name) {
          case 'is_null':
            return 'bool';
          case 'if':
            expect(node.args[0]!, ts[0]!, 'bool', 'the condition of if');
            return unify(node.args.slice(1), ts.slice(1), 'the branches of if');
          case 'coalesce':
            return unify(node.args, ts, 'the arguments of coalesce');
          default:
            return fail(node, `no type rule for function '${node.name}'`);
        }
      }
    }
  };

  return { type: visit(ast), types };
}
