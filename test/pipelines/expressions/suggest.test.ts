import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/pipelines/expressions/suggest.js';

describe('closest', () => {
  it('suggests near misses', () => {
    expect(closest('sqr', ['sqrt', 'abs', 'log'])).toBe('sqrt');
    expect(closest('amout', ['amount', 'status'])).toBe('amount');
    expect(closest('spend_mean_3d', ['spend_mean_30d', 'spend_std_30d'])).toBe('spend_mean_30d');
  });
  it('counts a transposition as one edit', () => {
    expect(editDistance('sqtr', 'sqrt')).toBe(1);
    expect(closest('sqtr', ['sqrt', 'exp'])).toBe('sqrt');
  });
  it('prefers a case-only difference', () => {
    expect(closest('SQRT', ['sqr', 'sqrt'])).toBe('sqrt');
    expect(closest('Amount', ['amount', 'mount'])).toBe('amount');
  });
  it('gives nothing for far-off names', () => {
    expect(closest('zzz', ['amount', 'status'])).toBeUndefined();
    expect(closest('x', ['y'])).toBeUndefined(); // replacing every character is not a typo
    expect(closest('foo', [])).toBeUndefined();
  });
  it('scales the allowed distance with the length', () => {
    expect(closest('ab', ['abcd'])).toBeUndefined(); // 2 edits on a 2-letter name
    expect(closest('transaction_amnt', ['transaction_amount'])).toBe('transaction_amount');
  });
  it('computes plain Levenshtein distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    expect(editDistance('kitten', 'sitting', 1)).toBe(2); // capped at limit + 1
  });
});
