/**
 * Property test: random well-typed expressions over three numeric columns (with nulls, zeros,
 * NaN and infinities in the data) are printed to text, parsed back and evaluated by the columnar
 * engine, and must agree row by row with a naive interpreter written here from the documented
 * semantics. The printer here is independent of the library's: it uses the documented precedence
 * table with minimal parentheses, sprinkles redundant parentheses and odd whitespace, and picks
 * between the spellings `and`/`&&`, `or`/`||`, `not`/`!`, so the parser's precedence is on trial too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { parseExpression } from '../../../src/pipelines/expressions/index.js';
import { batchOf, num, str, values } from './helpers.js';
import { seededRandom } from '../../../src/sdk/seededRandom.js';

// ---- test-side AST -------------------------------------------------------------------------------

type NumFn = 'abs' | 'floor' | 'ceil' | 'round' | 'sign' | 'sqrt' | 'log' | 'log10' | 'exp' | 'pow' | 'min' | 'max' | 'clip';
type N =
  | { k: 'lit'; v: number }
  | { k: 'null' }
  | { k: 'col'; name: string }
  | { k: 'neg'; x: N }
  | { k: 'arith'; op: '+' | '-' | '*' | '/' | '%'; l: N; r: N }
  | { k: 'fn'; name: NumFn; args: N[] }
  | { k: 'if'; c: B; a: N; b: N }
  | { k: 'coalesce'; args: N[] };
type B =
  | { k: 'blit'; v: boolean }
  | { k: 'cmp'; op: '<' | '<=' | '>' | '>=' | '==' | '!='; l: N; r: N }
  | { k: 'beq'; op: '==' | '!='; l: B; r: B }
  | { k: 'logic'; op: 'and' | 'or'; symbol: boolean; l: B; r: B }
  | { k: 'not'; bang: boolean; x: B }
  | { k: 'isnull'; x: N }
  | { k: 'bif'; c: B; a: B; b: B };

const COLS = ['a', 'b', 'c'] as const;
const ARITY: Record<NumFn, number> = { abs: 1, floor: 1, ceil: 1, round: 1, sign: 1, sqrt: 1, log: 1, log10: 1, exp: 1, pow: 2, min: 3, max: 2, clip: 3 };

const literal = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 10, 0.5, 1e-3, 2.5),
  fc.integer({ min: -20, max: 20 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);

const depth = { maxDepth: 5, depthIdentifier: 'expr', withCrossShrink: true } as const;

const { n: numExpr, b: boolExpr } = fc.letrec<{ n: N; b: B }>((tie) => ({
  n: fc.oneof(
    depth,
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...COLS).map((name): N => ({ k: 'col', name })) },
      { weight: 3, arbitrary: literal.map((v): N => ({ k: 'lit', v })) },
      { weight: 1, arbitrary: fc.constant<N>({ k: 'null' }) },
    ),
    fc.record({ op: fc.constantFrom('+', '-', '*', '/', '%'), l: tie('n'), r: tie('n') }).map((x): N => ({ k: 'arith', ...x })),
    fc.record({ op: fc.constantFrom('+', '-', '*', '/', '%'), l: tie('n'), r: tie('n') }).map((x): N => ({ k: 'arith', ...x })),
    tie('n').map((x): N => ({ k: 'neg', x })),
    fc
      .constantFrom(...(Object.keys(ARITY) as NumFn[]))
      .chain((name) => fc.array(tie('n'), { minLength: ARITY[name], maxLength: ARITY[name] }).map((args): N => ({ k: 'fn', name, args }))),
    fc.record({ c: tie('b'), a: tie('n'), b: tie('n') }).map((x): N => ({ k: 'if', ...x })),
    fc.array(tie('n'), { minLength: 1, maxLength: 3 }).map((args): N => ({ k: 'coalesce', args })),
  ),
  b: fc.oneof(
    depth,
    fc.record({ op: fc.constantFrom('<', '<=', '>', '>=', '==', '!='), l: tie('n'), r: tie('n') }).map((x): B => ({ k: 'cmp', ...x })),
    fc.boolean().map((v): B => ({ k: 'blit', v })),
    fc.record({ op: fc.constantFrom('and', 'or'), symbol: fc.boolean(), l: tie('b'), r: tie('b') }).map((x): B => ({ k: 'logic', ...x })),
    fc.record({ bang: fc.boolean(), x: tie('b') }).map((x): B => ({ k: 'not', ...x })),
    tie('n').map((x): B => ({ k: 'isnull', x })),
    fc.record({ op: fc.constantFrom('==', '!='), l: tie('b'), r: tie('b') }).map((x): B => ({ k: 'beq', ...x })),
    fc.record({ c: tie('b'), a: tie('b'), b: tie('b') }).map((x): B => ({ k: 'bif', ...x })),
  ),
}));

// ---- reference interpreter: one row at a time, plain JS values ---------------------------------

type Val = number | boolean | null;

function refNum(e: N, row: Record<string, number | null>): number | null {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'null':
      return null;
    case 'col':
      return row[e.name]!;
    case 'neg': {
      const x = refNum(e.x, row);
      return x === null ? null : -x;
    }
    case 'arith': {
      const l = refNum(e.l, row);
      const r = refNum(e.r, row);
      if (l === null || r === null) return null;
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return r === 0 ? null : l / r;
        case '%':
          return r === 0 ? null : l % r;
      }
    }
    // falls through (unreachable)
    case 'fn': {
      const args = e.args.map((a) => refNum(a, row));
      if (args.some((a) => a === null)) return null;
      const [x, y, z] = args as number[];
      switch (e.name) {
        case 'abs':
          return Math.abs(x!);
        case 'floor':
          return Math.floor(x!);
        case 'ceil':
          return Math.ceil(x!);
        case 'round':
          return x! < 0 ? -Math.round(-x!) : Math.round(x!);
        case 'sign':
          return Math.sign(x!);
        case 'sqrt':
          return x! < 0 ? null : Math.sqrt(x!);
        case 'log':
          return x! <= 0 ? null : Math.log(x!);
        case 'log10':
          return x! <= 0 ? null : Math.log10(x!);
        case 'exp':
          return Math.exp(x!);
        case 'pow': {
          if (x === 0 && y! < 0) return null;
          const r = Math.pow(x!, y!);
          return Number.isNaN(r) && !Number.isNaN(x) && !Number.isNaN(y) ? null : r;
        }
        case 'min':
          return Math.min(...(args as number[]));
        case 'max':
          return Math.max(...(args as number[]));
        case 'clip':
          return Math.min(Math.max(x!, y!), z!);
      }
    }
    // falls through (unreachable)
    case 'if':
      return refBool(e.c, row) === true ? refNum(e.a, row) : refNum(e.b, row);
    case 'coalesce':
      for (const a of e.args) {
        const v = refNum(a, row);
        if (v !== null) return v;
      }
      return null;
  }
}

function refBool(e: B, row: Record<string, number | null>): boolean | null {
  switch (e.k) {
    case 'blit':
      return e.v;
    case 'cmp': {
      const l = refNum(e.l, row);
      const r = refNum(e.r, row);
      if (l === null || r === null) return null;
      return { '<': l < r, '<=': l <= r, '>': l > r, '>=': l >= r, '==': l === r, '!=': l !== r }[e.op];
    }
    case 'beq': {
      const l = refBool(e.l, row);
      const r = refBool(e.r, row);
      if (l === null || r === null) return null;
      return e.op === '==' ? l === r : l !== r;
    }
    case 'logic': {
      const l = refBool(e.l, row);
      const r = refBool(e.r, row);
      if (e.op === 'and') {
        if (l === false || r === false) return false;
        return l === null || r === null ? null : true;
      }
      if (l === true || r === true) return true;
      return l === null || r === null ? null : false;
    }
    case 'not': {
      const x = refBool(e.x, row);
      return x === null ? null : !x;
    }
    case 'isnull':
      return refNum(e.x, row) === null;
    case 'bif':
      return refBool(e.c, row) === true ? refBool(e.a, row) : refBool(e.b, row);
  }
}

// ---- printer: minimal parentheses from the documented precedence, plus noise -------------------

/** Precedence as documented: or 1, and 2, not 3, comparisons 4, + - 5, * / % 6, unary - and ! 7, atoms 8. */
const PREC: Record<string, number> = { or: 1, and: 2, '<': 4, '<=': 4, '>': 4, '>=': 4, '==': 4, '!=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };

interface Noise {
  parens(): boolean;
  space(): string;
}

function noise(seed: number): Noise {
  // Seeded, so the noise replays with the counterexample.
  const next = seededRandom(seed);
  const spaces = [' ', ' ', ' ', '', '  ', '\n', '\t', ' \r\n '];
  return { parens: () => next() < 0.15, space: () => spaces[Math.floor(next() * spaces.length)]! };
}

type Printed = { text: string; prec: number };

function printNum(e: N, z: Noise): Printed {
  const p = ((): Printed => {
    switch (e.k) {
      case 'lit':
        // A negative literal reads back as unary minus applied to a positive one: same value.
        return e.v < 0 || Object.is(e.v, -0) ? { text: `-${String(-e.v)}`, prec: 7 } : { text: String(e.v), prec: 8 };
      case 'null':
        return { text: 'null', prec: 8 };
      case 'col':
        return { text: e.name, prec: 8 };
      case 'neg':
        return { text: `-${z.space()}${wrap(printNum(e.x, z), 7, z)}`, prec: 7 };
      case 'arith':
        return binary(e.op, printNum(e.l, z), printNum(e.r, z), z, false);
      case 'fn':
        return call(e.name, e.args.map((a) => printNum(a, z)), z);
      case 'if':
        return call('if', [printBool(e.c, z), printNum(e.a, z), printNum(e.b, z)], z);
      case 'coalesce':
        return call('coalesce', e.args.map((a) => printNum(a, z)), z);
    }
  })();
  return z.parens() ? { text: `(${z.space()}${p.text}${z.space()})`, prec: 8 } : p;
}

/** A comparison operand must not be the literal null (a type error by design): print a null-typed call instead. */
function comparable(e: N, z: Noise): Printed {
  return e.k === 'null' ? { text: 'coalesce(null)', prec: 8 } : printNum(e, z);
}

function printBool(e: B, z: Noise): Printed {
  const p = ((): Printed => {
    switch (e.k) {
      case 'blit':
        return { text: String(e.v), prec: 8 };
      case 'cmp':
        return binary(e.op, comparable(e.l, z), comparable(e.r, z), z, true);
      case 'beq':
        return binary(e.op, printBool(e.l, z), printBool(e.r, z), z, true);
      case 'logic': {
        const spelled = e.symbol ? (e.op === 'and' ? '&&' : '||') : e.op;
        const b = binary(e.op, printBool(e.l, z), printBool(e.r, z), z, false);
        return { ...b, text: b.text.replace(`\u0000${e.op}\u0000`, spelled) };
      }
      case 'not':
        return e.bang
          ? { text: `!${z.space()}${wrap(printBool(e.x, z), 7, z)}`, prec: 7 }
          : { text: `not ${z.space()}${wrap(printBool(e.x, z), 3, z)}`, prec: 3 };
      case 'isnull':
        return call('is_null', [printNum(e.x, z)], z);
      case 'bif':
        return call('if', [printBool(e.c, z), printBool(e.a, z), printBool(e.b, z)], z);
    }
  })();
  return z.parens() ? { text: `(${z.space()}${p.text}${z.space()})`, prec: 8 } : p;
}

function wrap(p: Printed, min: number, z: Noise): string {
  return p.prec < min ? `(${z.space()}${p.text}${z.space()})` : p.text;
}

function binary(op: string, l: Printed, r: Printed, z: Noise, comparison: boolean): Printed {
  const p = PREC[op]!;
  const left = wrap(l, comparison ? p + 1 : p, z);
  const right = wrap(r, p + 1, z);
  // Keywords need real whitespace around them; symbols may touch their operands.
  const mark = op === 'and' || op === 'or' ? `\u0000${op}\u0000` : op;
  const pad = () => (op === 'and' || op === 'or' ? ' ' + z.space() : z.space());
  return { text: `${left}${pad()}${mark}${pad()}${right}`, prec: p };
}

function call(name: string, args: Printed[], z: Noise): Printed {
  return { text: `${name}(${z.space()}${args.map((a) => a.text).join(`${z.space()},${z.space()}`)}${z.space()})`, prec: 8 };
}

// ---- data ----------------------------------------------------------------------------------------

const cell = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 3, arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true }) },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e-300, 1e300, -2.5, -0.5, 0.5, 1.5) },
);
const rows = fc.array(fc.tuple(cell, cell, cell), { minLength: 0, maxLength: 24 });

function same(actual: Val | string, expected: Val): boolean {
  if (actual === expected) return true;
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (Number.isNaN(actual) && Number.isNaN(expected)) return true;
    return Math.abs(actual - expected) <= 1e-12 * Math.max(Math.abs(actual), Math.abs(expected));
  }
  return false;
}

function check(kind: 'n' | 'b', ast: N | B, data: [number | null, number | null, number | null][], seed: number): void {
  const z = noise(seed);
  const text = kind === 'n' ? printNum(ast as N, z).text : printBool(ast as B, z).text;
  const expr = parseExpression(text);
  const batch = batchOf({ a: num(data.map((r) => r[0])), b: num(data.map((r) => r[1])), c: num(data.map((r) => r[2])) });
  const got = values(expr.evaluate(batch));
  // The library's canonical text must mean the same thing.
  const canonical = String(expr);
  expect(String(parseExpression(canonical))).toBe(canonical);
  const again = values(parseExpression(canonical).evaluate(batch));
  data.forEach((r, i) => {
    const row = { a: r[0], b: r[1], c: r[2] };
    const want = kind === 'n' ? refNum(ast as N, row) : refBool(ast as B, row);
    if (!same(got[i]!, want) || !same(again[i]!, want)) {
      throw new Error(`row ${i} ${JSON.stringify(row)} of ${JSON.stringify(text)}: got ${String(got[i])} (canonical ${String(again[i])}), want ${String(want)}`);
    }
  });
}

/** Raise for a longer hunt: EXPR_PROPERTY_RUNS=20000 npx vitest run test/pipelines/expressions/property.test.ts */
const RUNS = Number(process.env.EXPR_PROPERTY_RUNS ?? 600);

describe('evaluate agrees with a row-by-row reference interpreter', () => {
  it('on random numeric expressions', () => {
    fc.assert(
      fc.property(numExpr, rows, fc.integer(), (ast, data, seed) => check('n', ast, data, seed)),
      { numRuns: RUNS },
    );
  });
  it('on random comparisons and logic', () => {
    fc.assert(
      fc.property(boolExpr, rows, fc.integer(), (ast, data, seed) => check('b', ast, data, seed)),
      { numRuns: RUNS },
    );
  });
  it('on string equality against literals and other columns', () => {
    const word = fc.constantFrom('failed', 'ok', 'pending', "it's", '', 'é');
    const cellS = fc.option(word, { nil: null });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cellS, cellS), { maxLength: 20 }),
        word,
        fc.constantFrom('==', '!='),
        fc.boolean(),
        fc.boolean(),
        (data, lit, op, sharedDict, flip) => {
          const d1 = new Dictionary(['pending']); // pre-filled, so codes differ from first-seen order
          const d2 = sharedDict ? d1 : new Dictionary();
          const batch = batchOf({ s: str(data.map((r) => r[0]), d1), t: str(data.map((r) => r[1]), d2) });
          const quoted = `"${lit.replace(/"/g, '\\"')}"`;
          const withLit = values(parseExpression(flip ? `${quoted} ${op} s` : `s ${op} ${quoted}`).evaluate(batch));
          const withCol = values(parseExpression(`s ${op} t`).evaluate(batch));
          data.forEach(([s, t], i) => {
            const eq = (x: string | null, y: string | null) => (x === null || y === null ? null : (x === y) === (op === '=='));
            expect(withLit[i]).toBe(eq(s, lit));
            expect(withCol[i]).toBe(eq(s, t));
          });
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
