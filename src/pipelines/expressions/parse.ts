import type { Binary, BinaryOp, Expr, Position } from './ast.js';
import { ExpressionError, withSuggestion } from './errors.js';
import { FUNCTION_NAMES, FUNCTIONS } from './functions.js';
import { type Token, tokenize } from './lexer.js';
import { closest } from './suggest.js';

/**
 * Deeper nesting than this is rejected: recursive descent (and every later pass over the tree,
 * all recursive) would otherwise overflow the stack on hostile input such as 100 000 opening
 * parentheses. MAX_HEIGHT bounds the tree itself, which long operator chains (`a + a + ...`)
 * grow without any parser recursion.
 */
export const MAX_DEPTH = 200;
export const MAX_HEIGHT = 1000;

/*
 * Grammar, loosest binding first. `not` binds looser than comparisons, as in SQL and Python
 * (`not a == b` is `not (a == b)`); `!` binds tightest, as in C and JavaScript (`!a == b` is
 * `(!a) == b`). Comparisons do not chain: `a < b < c` is an error rather than a surprise.
 *
 *   expr       := or
 *   or         := and (('or' | '||') and)*
 *   and        := not (('and' | '&&') not)*
 *   not        := 'not' not | comparison
 *   comparison := additive (('<' | '<=' | '>' | '>=' | '==' | '!=') additive)?
 *   additive   := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := ('-' | '!') unary | primary
 *   primary    := number | string | 'true' | 'false' | 'null' | name | name '(' args ')' | '(' expr ')'
 */

const COMPARISON: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '==', '!=']);
const ADDITIVE: ReadonlySet<string> = new Set(['+', '-']);
const MULTIPLICATIVE: ReadonlySet<string> = new Set(['*', '/', '%']);

/**
 * Parses expression text into a syntax tree. Unknown functions and wrong argument counts are
 * reported here, with the position; column names are checked later against a scope (./typecheck.ts).
 *
 * @example
 * const ast = parse('(amount - spend_mean_30d) / spend_std_30d');
 * ast.kind; // 'binary'
 * @throws ExpressionError (kind 'syntax' or 'name')
 */
export function parse(source: string): Expr {
  return new Parser(source).parseAll();
}

class Parser {
  private readonly tokens: Token[];
  private at = 0;
  private depth = 0;
  private readonly heights = new WeakMap<Expr, number>();

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): Expr {
    if (this.peek().kind === 'eof') this.fail('empty expression', this.peek());
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      const hint = t.kind === 'op' && t.value === ')' ? "unmatched ')'" : `unexpected ${describe(t)} after the end of the expression`;
      this.fail(hint, t);
    }
    return e;
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private next(): Token {
    const t = this.tokens[this.at]!;
    if (t.kind !== 'eof') this.at++;
    return t;
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.value as string);
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'keyword' && t.value === word;
  }

  private fail(reason: string, t: { pos: Position; end: number }, kind: 'syntax' | 'name' = 'syntax', suggestion?: string): never {
    throw new ExpressionError(kind, reason, t.pos, { end: Math.max(t.end, t.pos.offset + 1), source: this.source, suggestion });
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) this.fail(`expression is too deeply nested (more than ${MAX_DEPTH} levels of parentheses or unary operators)`, t);
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, opTok: Token): Binary {
    return this.sized({ kind: 'binary', op, left, right, pos: left.pos, end: right.end, opPos: opTok.pos }, opTok, [left, right]);
  }

  /** Records the height of `node` over its children, failing at `t` when it passes MAX_HEIGHT. */
  private sized<E extends Expr>(node: E, t: Token, kids: readonly Expr[]): E {
    let h = 0;
    for (const k of kids) h = Math.max(h, this.heights.get(k) ?? 0);
    if (h + 1 > MAX_HEIGHT) this.fail(`expression is too deeply nested (more than ${MAX_HEIGHT} levels)`, t);
    this.heights.set(node, h + 1);
    return node;
  }

  private expr(): Expr {
    this.enter(this.peek());
    try {
      return this.or();
    } finally {
      this.depth--;
    }
  }

  private or(): Expr {
    let left = this.and();
    for (let t = this.peek(); this.isKeyword(t, 'or') || this.isOp(t, '||'); t = this.peek()) {
      this.next();
      left = this.binary('or', left, this.and(), t);
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    for (let t = this.peek(); this.isKeyword(t, 'and') || this.isOp(t, '&&'); t = this.peek()) {
      this.next();
      left = this.binary('and', left, this.not(), t);
    }
    return left;
  }

  private not(): Expr {
    const t = this.peek();
    if (!this.isKeyword(t, 'not')) return this.comparison();
    this.next();
    this.enter(t);
    try {
      const operand = this.not();
      return this.sized({ kind: 'unary', op: 'not', operand, pos: t.pos, end: operand.end }, t, [operand]);
    } finally {
      this.depth--;
    }
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARISON.has(t.value as string)) return left;
    this.next();
    const node = this.binary(t.value as BinaryOp, left, this.additive(), t);
    const again = this.peek();
    if (again.kind === 'op' && COMPARISON.has(again.value as string)) {
      const ordering = (op: unknown) => op !== '==' && op !== '!=';
      this.fail(
        ordering(t.value) && ordering(again.value)
          ? `comparisons do not chain: write 'a ${String(t.value)} b and b ${String(again.value)} c'`
          : 'comparisons do not chain: add parentheses to show which comparison comes first',
        again,
      );
    }
    return node;
  }

  private additive(): Expr {
    let left = this.term();
    for (let t = this.peek(); t.kind === 'op' && ADDITIVE.has(t.value as string); t = this.peek()) {
      this.next();
      left = this.binary(t.value as BinaryOp, left, this.term(), t);
    }
    return left;
  }

  private term(): Expr {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'op' && MULTIPLICATIVE.has(t.value as string); t = this.peek()) {
      this.next();
      left = this.binary(t.value as BinaryOp, left, this.unary(), t);
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (!this.isOp(t, '-', '!')) return this.primary();
    this.next();
    this.enter(t);
    try {
      const operand = this.unary();
      return this.sized({ kind: 'unary', op: t.value === '-' ? '-' : 'not', operand, pos: t.pos, end: operand.end }, t, [operand]);
    } finally {
      this.depth--;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value as number, pos: t.pos, end: t.end };
      case 'string':
        return { kind: 'string', value: t.value as string, pos: t.pos, end: t.end };
      case 'keyword':
        if (t.value === 'true' || t.value === 'false') return { kind: 'bool', value: t.value === 'true', pos: t.pos, end: t.end };
        if (t.value === 'null') return { kind: 'null', pos: t.pos, end: t.end };
        return this.fail(`expected a value, found '${String(t.value)}'`, t);
      case 'ident':
        if (!t.quoted && this.isOp(this.peek(), '(')) return this.call(t);
        return { kind: 'ident', name: t.value as string, pos: t.pos, end: t.end };
      case 'op':
        if (t.value === '(') {
          const inner = this.expr();
          const close = this.next();
          if (!this.isOp(close, ')')) {
            this.fail(close.kind === 'eof' ? "missing ')'" : `expected ')', found ${describe(close)}`, close.kind === 'eof' ? t : close);
          }
          // Keep the parentheses in the span so errors underline what the user wrote.
          const wrapped = { ...inner, pos: t.pos, end: close.end } as Expr;
          this.heights.set(wrapped, this.heights.get(inner) ?? 0);
          return wrapped;
        }
        return this.fail(`expected a value, found '${String(t.value)}'`, t);
      case 'eof':
        return this.fail('unexpected end of expression', t);
    }
  }

  private call(nameTok: Token): Expr {
    const name = nameTok.value as string;
    const spec = FUNCTIONS.get(name);
    if (spec === undefined) {
      const suggestion = closest(name, FUNCTION_NAMES);
      this.fail(withSuggestion(`unknown function '${name}'`, suggestion), nameTok, 'name', suggestion);
    }
    this.next(); // '('
    const args: Expr[] = [];
    if (!this.isOp(this.peek(), ')')) {
      for (;;) {
        args.push(this.expr());
        const sep = this.peek();
        if (this.isOp(sep, ',')) {
          this.next();
          continue;
        }
        if (this.isOp(sep, ')')) break;
        this.fail(sep.kind === 'eof' ? `missing ')' to close the call to ${name}` : `expected ',' or ')' in the call to ${name}, found ${describe(sep)}`, sep);
      }
    }
    const close = this.next();
    const end = close.end;
    if (args.length < spec.min || args.length > spec.max) {
      const want = spec.min === spec.max ? `${spec.min}` : spec.max === Infinity ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
      this.fail(`${name} takes ${want} argument${spec.min === 1 && spec.max === 1 ? '' : 's'}, got ${args.length}`, { pos: nameTok.pos, end });
    }
    return this.sized({ kind: 'call', name, args, pos: nameTok.pos, end }, nameTok, args);
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of expression';
    case 'string':
      return `string ${t.text}`;
    case 'number':
      return `number ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}
