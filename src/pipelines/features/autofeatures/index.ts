import type { FeatureDefinition } from '../../../sdk/defineFeature.js';
import { userPeriodFeatures } from './userPeriodFeatures.js';

export { userPeriodFeatures, userPeriods, userPeriodParams, periodColumns, baseColumns, type UserPeriodParams } from './userPeriodFeatures.js';
export { PeriodGrid, type Period } from './periods.js';

/** The user-event autofeature definitions (the Drifto domain). */
export const AUTOFEATURE_DEFINITIONS: readonly FeatureDefinition<any>[] = [userPeriodFeatures];
