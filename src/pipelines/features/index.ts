import type { FeatureDefinition } from '../../sdk/defineFeature.js';
import { aggregate } from './aggregate.js';

/** Every feature definition that ships with Tributary. */
export const BUILTIN_DEFINITIONS: readonly FeatureDefinition<any>[] = [aggregate];
