import type { Position } from './ast.js';
import { ExpressionError } from './errors.js';

export type TokenKind = 'number' | 'string' | 'ident' | 'keyword' | 'op' | 'eof';

export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'true', 'false', 'null']);

export interface Token {
  readonly kind: TokenKind;
  /** The exact source text of the token. */
  readonly text: string;
  /**
   * Decoded value: the number for `number`, the unescaped text for `string`, the name for `ident`
   * (without backticks), the word for `keyword`, the operator for `op`, '' for `eof`.
   */
  readonly value: string | number;
  /** True for a backtick-quoted identifier: never a keyword, never a function name. */
  readonly quoted: boolean;
  readonly pos: Position;
  readonly end: number;
}

const TWO_CHAR_OPS = new Set(['<=', '>=', '==', '!=', '&&', '||']);
const ONE_CHAR_OPS = new Set(['(', ')', ',', '+', '-', '*', '/', '%', '<', '>', '!']);

/** Single characters that are a likely slip for a real operator. */
const NEAR_MISSES: Readonly<Record<string, string>> = { '=': '==', '&': '&&', '|': '||' };

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAsciiIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const UNICODE_LETTER = /\p{L}/u;
const UNICODE_DIGIT = /\p{Nd}/u;

/**
 * Splits expression text into tokens, each with its position. Whitespace (spaces, tabs, newlines)
 * separates tokens and is otherwise ignored.
 *
 * @example
 * tokenize("amount > 1e-3").map((t) => t.value); // ['amount', '>', 0.001, '']
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (offset: number): Position => ({ offset, line, column: offset - lineStart + 1 });
  const fail = (reason: string, start: number, end = start + 1): never => {
    throw new ExpressionError('syntax', reason, at(start), { end, source });
  };
  const push = (kind: TokenKind, start: number, value: string | number, quoted = false): void => {
    tokens.push({ kind, text: source.slice(start, i), value, quoted, pos: at(start), end: i });
  };

  /** Identifier characters are checked per code point so that names like `montant_dépense` work. */
  const identCharAt = (offset: number, start: boolean): number => {
    const c = source.charCodeAt(offset);
    if (Number.isNaN(c)) return 0;
    if (isAsciiIdentStart(c) || (!start && isDigit(c))) return 1;
    if (c < 128) return 0;
    const cp = source.codePointAt(offset)!;
    const ch = String.fromCodePoint(cp);
    return UNICODE_LETTER.test(ch) || (!start && UNICODE_DIGIT.test(ch)) ? ch.length : 0;
  };

  /** Reads a quoted run ending in `quote`, starting just after the opening quote; returns the unescaped text. */
  const readQuoted = (start: number, quote: string, what: string): string => {
    let out = '';
    for (;;) {
      if (i >= source.length || source[i] === '\n' || source[i] === '\r') {
        fail(`unterminated ${what}: missing closing ${quote}`, start, i);
      }
      const ch = source[i]!;
      if (ch === quote) {
        i++;
        return out;
      }
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const esc = source[i + 1];
      switch (esc) {
        case 'n': out += '\n'; i += 2; break;
        case 't': out += '\t'; i += 2; break;
        case 'r': out += '\r'; i += 2; break;
        case '0': out += '\0'; i += 2; break;
        case '\\': case "'": case '"': case '`': out += esc; i += 2; break;
        case 'u': {
          const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(i + 2, i + 10));
          const plain = /^[0-9a-fA-F]{4}/.exec(source.slice(i + 2, i + 6));
          const hex = braced?.[1] ?? plain?.[0];
          const cp = hex === undefined ? NaN : parseInt(hex, 16);
          if (!(cp <= 0x10ffff)) fail('invalid \\u escape: write \\uXXXX or \\u{X...}', i, i + 2);
          out += String.fromCodePoint(cp);
          i += 2 + (braced ? braced[0].length : 4);
          break;
        }
        default:
          if (esc === undefined || esc === '\n' || esc === '\r') fail(`unterminated ${what}: missing closing ${quote}`, start, i + 1);
          fail(`unknown escape '\\${esc}'`, i, i + 2);
      }
    }
  };

  while (i < source.length) {
    const c = source.charCodeAt(i);
    const start = i;
    // Whitespace.
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    // Numbers: 12, 1.5, .5, 1e-3, 2.5E+10.
    if (isDigit(c) || (c === 46 && isDigit(source.charCodeAt(i + 1)))) {
      while (isDigit(source.charCodeAt(i))) i++;
      if (source[i] === '.') {
        i++;
        if (!isDigit(source.charCodeAt(i))) fail("expected a digit after '.' in number", i);
        while (isDigit(source.charCodeAt(i))) i++;
      }
      if (source[i] === 'e' || source[i] === 'E') {
        i++;
        if (source[i] === '+' || source[i] === '-') i++;
        if (!isDigit(source.charCodeAt(i))) fail('expected digits in the exponent of a number', i);
        while (isDigit(source.charCodeAt(i))) i++;
      }
      // `10px` or `1.2.3` is a typo, not a number followed by a name.
      if (identCharAt(i, false) > 0 || source[i] === '.') fail(`invalid number '${source.slice(start, i + 1)}'`, start, i + 1);
      const value = Number(source.slice(start, i));
      if (!Number.isFinite(value)) fail('number literal is too large', start, i);
      push('number', start, value);
      continue;
    }
    // Names and keywords; dotted paths are one name.
    let w = identCharAt(i, true);
    if (w > 0) {
      for (;;) {
        i += w;
        while ((w = identCharAt(i, false)) > 0) i += w;
        if (source[i] !== '.') break;
        w = identCharAt(i + 1, true);
        if (w === 0) fail("expected a name after '.'", i + 1);
        i++;
      }
      const name = source.slice(start, i);
      push(KEYWORDS.has(name) ? 'keyword' : 'ident', start, name);
      continue;
    }
    if (c === 96 /* ` */) {
      i++;
      const name = readQuoted(start, '`', 'quoted name');
      if (name === '') fail('empty quoted name', start, i);
      push('ident', start, name, true);
      continue;
    }
    if (c === 39 || c === 34 /* ' " */) {
      i++;
      const value = readQuoted(start, source[start]!, 'string');
      push('string', start, value);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      i += 2;
      push('op', start, two);
      continue;
    }
    const one = source[i]!;
    if (ONE_CHAR_OPS.has(one)) {
      i++;
      push('op', start, one);
      continue;
    }
    const near = NEAR_MISSES[one];
    if (near !== undefined) fail(`unexpected '${one}'; did you mean '${near}'?`, start);
    const cp = source.codePointAt(i)!;
    fail(`unexpected character '${String.fromCodePoint(cp)}'`, start, start + (cp > 0xffff ? 2 : 1));
  }
  tokens.push({ kind: 'eof', text: '', value: '', quoted: false, pos: at(i), end: i });
  return tokens;
}
