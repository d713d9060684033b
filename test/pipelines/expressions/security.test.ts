/**
 * Expression text comes from config files. It must only ever compute over columns: no path from
 * text to JavaScript evaluation, and no lookups that wander onto Object.prototype.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Column } from '../../../src/pipelines/data/column.js';
import { ExpressionError, parseExpression } from '../../../src/pipelines/expressions/index.js';
import { batchOf, num, values } from './helpers.js';

function rejection(text: string, run: (text: string) => unknown): ExpressionError {
  try {
    run(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const batch = batchOf({ amount: num([1, 2]) });
const evaluate = (text: string) => parseExpression(text).evaluate(batch);

describe('hostile expression text', () => {
  it('rejects calls to anything but the catalogue functions', () => {
    for (const text of [
      "constructor.constructor('return process')()",
      'constructor.constructor("return process.exit(1)")()',
      "eval('1 + 1')",
      "Function('return this')()",
      "require('child_process')",
      'process.exit(1)',
      'toString()',
      'hasOwnProperty(amount)',
      'valueOf(amount)',
      '__proto__(amount)',
      'amount.constructor(1)',
      "import('fs')",
    ]) {
      const e = rejection(text, parseExpression);
      expect(e.kind).toBe('name');
      expect(e.reason).toMatch(/^unknown function '/);
    }
  });
  it('treats prototype names as unknown columns, never as the prototype', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'constructor.prototype', '__proto__.polluted', 'prototype']) {
      const e = rejection(name, evaluate);
      expect(e.reason).toMatch(new RegExp(`^unknown column '${name.replace(/\./g, '\\.')}'`));
      const typed = rejection(name, (t) => parseExpression(t).check({ amount: 'number' }));
      expect(typed.kind).toBe('name');
    }
    expect(rejection('`constructor` + 1', evaluate).reason).toMatch(/unknown column 'constructor'/);
    expect(rejection("__proto__ == 'x'", evaluate).reason).toMatch(/unknown column '__proto__'/);
  });
  it('finds no prototype members through a compiled evaluator either', () => {
    const e = parseExpression('constructor + 1');
    const f = e.compile({ constructor: 'number' } as Record<string, 'number'>);
    // The scope says the column exists, but the batch's columns object only inherits `constructor`.
    expect(() => f(batch)).toThrow("column 'constructor' is not in the batch");
  });
  it('allows a real column with a prototype-like name, as data only', () => {
    const columns: Record<string, Column> = { amount: num([1, 2]) };
    Object.defineProperty(columns, '__proto__', { value: num([10, 20]), enumerable: true });
    const out = parseExpression('`__proto__` + amount').evaluate(batchOf(columns));
    expect(values(out)).toEqual([11, 22]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('rejects JavaScript syntax outright', () => {
    for (const [text, reason] of [
      ['amount[0]', "unexpected character '['"],
      ['x => 1', "unexpected '='; did you mean '=='?"],
      ['`${amount}`', 'unknown column'],
      ['${amount}', "unexpected character '$'"],
      ['amount; process.exit()', "unexpected character ';'"],
      ['{}', "unexpected character '{'"],
      ['amount ? 1 : 2', "unexpected character '?'"],
      ['new Date()', "unexpected 'Date' after the end of the expression"],
      ['a = 1', "unexpected '='; did you mean '=='?"],
    ] as const) {
      expect(rejection(text, evaluate).reason).toContain(reason);
    }
  });
  it('does not pollute Object.prototype', () => {
    for (const text of ['__proto__.polluted', '`__proto__`', 'constructor.prototype.polluted']) {
      try {
        evaluate(text);
      } catch {
        // rejected, as the test above checks
      }
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
  it('contains no eval or Function constructor in the implementation', () => {
    const dir = fileURLToPath(new URL('../../../src/pipelines/expressions/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const code = readFileSync(dir + file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\beval\s*\(|\bFunction\s*\(|new\s+Function\b|\bimport\s*\(|\brequire\s*\(/);
    }
  });
});
