import { describe, expect, it } from 'vitest';
import { parseCategorical } from '../../src/cli/commands/train.js';

describe('tributary train --categorical', () => {
  it('reads columns with an optional encoding, comma-separated or repeated', () => {
    expect(parseCategorical(undefined, undefined)).toEqual([]);
    expect(parseCategorical('merchant_bucket', undefined)).toEqual([{ column: 'merchant_bucket', encoding: 'auto' }]);
    expect(parseCategorical('a:onehot, b:embedding', 20)).toEqual([
      { column: 'a', encoding: 'onehot', maxCategories: 20 },
      { column: 'b', encoding: 'embedding', maxCategories: 20 },
    ]);
    expect(parseCategorical(['a', 'attributes.device:embedding'], undefined).map((s) => s.column)).toEqual(['a', 'attributes.device']);
  });

  it('refuses an unknown encoding or an empty column, naming the flag', () => {
    expect(() => parseCategorical('a:hashed', undefined)).toThrow(/--categorical "a:hashed": the encoding/);
    expect(() => parseCategorical(':onehot', undefined)).toThrow(/name a column/);
  });
});
