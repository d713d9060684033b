import type { FeatureDefinition } from '../../../sdk/defineFeature.js';
import { meanGroupRate } from './groupRate.js';
import { modeSum } from './modeSum.js';

/**
 * The payments and fraud feature library (the Chalk / Chronon domain): the definitions that the
 * `op:` aggregations cannot express. docs/configuration.md lists them with their params.
 * - `mode_sum`: the spend at a user's most common merchant;
 * - `mean_group_rate`: a merchant's success rate per IP, averaged over its IPs.
 */
export const PAYMENTS_DEFINITIONS: readonly FeatureDefinition<any>[] = [modeSum, meanGroupRate];

export { meanGroupRate, modeSum };
