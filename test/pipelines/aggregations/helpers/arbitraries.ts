import fc from 'fast-check';
import type { OpSpec } from '../../../../src/pipelines/aggregations/catalog.js';
import { seededRandom } from '../../../../src/sdk/seededRandom.js';

const QS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

/** Any of the new ops with random parameters. Histogram values are on the same 0.25 grid as the event values. */
export const newOpArb: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ op: fc.constantFrom('first_k' as const, 'last_k' as const, 'top_k' as const, 'bottom_k' as const), k: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('histogram' as const), values: fc.uniqueArray(fc.integer({ min: -6, max: 6 }).map((x) => x / 4), { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('histogram' as const), top: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('approx_percentile' as const), percentile: fc.constantFrom(...QS) }),
  fc.record({ op: fc.constant('approx_percentile' as const), percentiles: fc.uniqueArray(fc.constantFrom(...QS), { minLength: 1, maxLength: 3 }) }),
  fc.constantFrom<OpSpec>({ op: 'approx_count_distinct' }, { op: 'skew' }, { op: 'kurtosis' }),
);

/** A small deterministic PRNG for test data. */
export const mulberry32 = seededRandom;
