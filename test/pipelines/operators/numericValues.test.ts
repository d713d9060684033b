import { describe, expect, it } from 'vitest';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { numericValues } from '../../../src/pipelines/operators/slidingAggregate.js';

describe('numericValues', () => {
  it('aggregates the values of a numeric key column, not its dictionary codes', () => {
    const dict = new Dictionary([155, 42, 7]);
    expect(Array.from(numericValues({ type: 'dictionary', codes: Int32Array.of(1, 0, 1, 2), dictionary: dict }))).toEqual([42, 155, 42, 7]);
  });

  it('gives codes for a string column (what count_distinct and histograms compare)', () => {
    const dict = new Dictionary(['a', 'b']);
    expect(Array.from(numericValues({ type: 'dictionary', codes: Int32Array.of(1, 0), dictionary: dict }))).toEqual([1, 0]);
  });
});
