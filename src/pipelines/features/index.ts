import type { FeatureDefinition } from '../../sdk/defineFeature.js';
import { aggregate } from './aggregate.js';
import { MARKET_DEFINITIONS } from './market/index.js';

/** Every feature definition that ships with Tributary. */
export const BUILTIN_DEFINITIONS: readonly FeatureDefinition<any>[] = [aggregate, ...MARKET_DEFINITIONS];
