/**
 * Syntax tree of the expression language. Plain, immutable data: no methods, no prototypes to
 * reach through, so a tree can be logged, hashed or sent to a worker as is.
 */

/** A place in the expression text: `offset` counts UTF-16 units from 0; `line` and `column` count from 1. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

interface NodeBase {
  /** Where the node starts. */
  readonly pos: Position;
  /** Offset just past the node's last character (so carets can underline it). */
  readonly end: number;
}

export interface NumberLiteral extends NodeBase {
  readonly kind: 'number';
  readonly value: number;
}

export interface StringLiteral extends NodeBase {
  readonly kind: 'string';
  readonly value: string;
}

export interface BoolLiteral extends NodeBase {
  readonly kind: 'bool';
  readonly value: boolean;
}

export interface NullLiteral extends NodeBase {
  readonly kind: 'null';
}

/** A column reference. Dotted paths (`attributes.page`) are one name: the column is called that. */
export interface Identifier extends NodeBase {
  readonly kind: 'ident';
  readonly name: string;
}

/** `!` parses to `not` (it only binds tighter); the tree does not keep the spelling. */
export type UnaryOp = '-' | 'not';

export interface Unary extends NodeBase {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

/** `&&` and `||` parse to `and` and `or`. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

export interface Binary extends NodeBase {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Where the operator is, for errors about the operation as a whole. */
  readonly opPos: Position;
}

export interface Call extends NodeBase {
  readonly kind: 'call';
  /** Always a name from FUNCTIONS (./functions.ts): the parser rejects any other. */
  readonly name: string;
  readonly args: readonly Expr[];
}

export type Expr = NumberLiteral | StringLiteral | BoolLiteral | NullLiteral | Identifier | Unary | Binary | Call;

export const ARITHMETIC_OPS: ReadonlySet<BinaryOp> = new Set(['+', '-', '*', '/', '%']);
export const ORDERING_OPS: ReadonlySet<BinaryOp> = new Set(['<', '<=', '>', '>=']);
export const EQUALITY_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=']);
export const LOGICAL_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or']);

/** The direct children of `node`, left to right. */
export function children(node: Expr): readonly Expr[] {
  switch (node.kind) {
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'call':
      return node.args;
    default:
      return [];
  }
}

/**
 * The column names `node` references, each once, in order of first appearance.
 * A derived feature depends on exactly these, which is what the graph compiler needs.
 *
 * @example
 * identifiersOf(parse('a + b * a')); // ['a', 'b']
 */
export function identifiersOf(node: Expr): string[] {
  const seen = new Set<string>();
  // Iterative, so a pathological tree cannot blow the stack here even if built by hand.
  const stack: Expr[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'ident') seen.add(n.name);
    const cs = children(n);
    for (let i = cs.length - 1; i >= 0; i--) stack.push(cs[i]!);
  }
  return [...seen];
}
