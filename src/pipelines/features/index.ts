import type { FeatureDefinition } from '../../sdk/defineFeature.js';
import { aggregate } from './aggregate.js';
import { AUTOFEATURE_DEFINITIONS } from './autofeatures/index.js';
import { MARKET_DEFINITIONS } from './market/index.js';
import { PAYMENTS_DEFINITIONS } from './payments/index.js';

/** Every feature definition that ships with Tributary. */
export const BUILTIN_DEFINITIONS: readonly FeatureDefinition<any>[] = [aggregate, ...MARKET_DEFINITIONS, ...PAYMENTS_DEFINITIONS, ...AUTOFEATURE_DEFINITIONS];
