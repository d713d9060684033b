import type { Expr } from './ast.js';
import { KEYWORDS } from './lexer.js';

/*
 * Canonical text for a tree: the fewest parentheses that parse back to the same tree, one space
 * around binary operators, `not` for negation, single-quoted strings. Two spellings of one
 * expression print the same, so the text can go into a feature's identity hash.
 */

const PREC: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  // not: 3 (unary, below comparisons)
  '<': 4, '<=': 4, '>': 4, '>=': 4, '==': 4, '!=': 4,
  '+': 5, '-': 5,
  '*': 6, '/': 6, '%': 6,
};
const NOT = 3;
const COMPARISON = 4;
const UNARY_MINUS = 7;
const ATOM = 8;

const BARE_NAME = /^[\p{L}_][\p{L}\p{Nd}_]*(\.[\p{L}_][\p{L}\p{Nd}_]*)*$/u;

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      return PREC[e.op]!;
    case 'unary':
      return e.op === 'not' ? NOT : UNARY_MINUS;
    case 'number':
      return e.value < 0 || Object.is(e.value, -0) ? UNARY_MINUS : ATOM;
    default:
      return ATOM;
  }
}

/**
 * Prints a tree as expression text that parses back to an equal tree.
 *
 * @example
 * formatExpression(parse('(a+b)*c')); // '(a + b) * c'
 * formatExpression(parse("!(x) && y || `odd name` == \"it's\"")); // "not x and y or `odd name` == 'it\\'s'"
 */
export function formatExpression(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return formatNumber(e.value);
    case 'string':
      return quoteString(e.value);
    case 'bool':
      return e.value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'ident':
      return formatName(e.name);
    case 'unary': {
      const inner = formatExpression(e.operand);
      if (e.op === 'not') return `not ${precedence(e.operand) < NOT ? `(${inner})` : inner}`;
      return `-${precedence(e.operand) < UNARY_MINUS ? `(${inner})` : inner}`;
    }
    case 'binary': {
      const p = PREC[e.op]!;
      const lp = precedence(e.left);
      const rp = precedence(e.right);
      // Left-associative, and comparisons do not chain: a comparison operand of a comparison needs parentheses.
      const leftParens = lp < p || (p === COMPARISON && lp === p);
      const rightParens = rp <= p;
      const l = formatExpression(e.left);
      const r = formatExpression(e.right);
      return `${leftParens ? `(${l})` : l} ${e.op} ${rightParens ? `(${r})` : r}`;
    }
    case 'call':
      return `${e.name}(${e.args.map(formatExpression).join(', ')})`;
  }
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot print the number ${v}: the language has no literal for it`);
  if (Object.is(v, -0)) return '-0';
  return String(v); // shortest round-trip form, e.g. 0.1, 1e-7, 1.5e+21, which the lexer reads back exactly
}

export function quoteString(s: string): string {
  return `'${escape(s, "'")}'`;
}

/** A bare name when it lexes as one (and is not a keyword), else a backtick-quoted one. */
export function formatName(name: string): string {
  return BARE_NAME.test(name) && !KEYWORDS.has(name) ? name : `\`${escape(name, '`')}\``;
}

function escape(s: string, quote: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch === '\u2028' || ch === '\u2029') out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
  }
  return out;
}
