import type { OperatorFunction } from 'rxjs';
import type { z } from 'zod';
import type { Batch } from '../pipelines/data/batch.js';
import type { SourceConfig } from './config/types.js';
import type { StepContext } from '../pipelines/runtime/context.js';

/**
 * When a feature's rows appear:
 * - `pointInTime`: one value per event of its source, as of that event's time. The operator gets
 *   the source's events in time order and must return exactly one output batch per input batch,
 *   with as many rows, synchronously.
 * - `windowed`: rows for windows, emitted when they close. The operator gets events in arrival order,
 *   with watermarks, and returns batches of window rows (key columns, `window_start`, values; the
 *   batch time is the window end).
 */
export type FeatureKind = 'pointInTime' | 'windowed';

export interface FeatureOutput {
  /** Column name; '' for a definition with one output, which then takes the feature's name. */
  name: string;
  type: 'float64';
  doc?: string;
}

/** What `build` gets besides its params. */
export interface FeatureBuildContext {
  /** Step contexts under this feature's stable step id: `step('sliding')` is `<id>/sliding`. */
  step(name: string): StepContext;
  /** The feature's stable step id, derived from its identity. */
  readonly stepId: string;
  /** Key columns of this feature (default: the source's first key). */
  readonly key: readonly string[];
  readonly source: SourceConfig;
  /** Output column names, in the order of `outputs(params)`. */
  readonly columns: readonly string[];
  /** Compile an expression (a `where` filter, say) against the source's columns. */
  predicate(expression: string): (b: Batch) => Uint8Array;
}

export interface FeatureDefinition<P = Record<string, unknown>> {
  /** Stable name, as written in `definition:` in a config. */
  readonly name: string;
  /** Bump when the computation changes: it is part of the feature's identity, so stored results are not reused. */
  readonly version: number;
  readonly doc: string;
  readonly kind: FeatureKind | ((params: P) => FeatureKind);
  /** Typed parameters with defaults and docs (a zod object schema). */
  readonly params: z.ZodType<P>;
  /** Source columns read, for validation and for the dependency graph. */
  inputs(params: P): string[];
  outputs(params: P): FeatureOutput[];
  build(params: P, ctx: FeatureBuildContext): OperatorFunction<Batch, Batch>;
}

/**
 * Declare a feature definition. The result is registered by name with a FeatureRegistry, and then
 * used from YAML as `definition: <name>` with `params:`, or from TypeScript.
 *
 * @example
 * import { z } from 'zod';
 * import { map } from 'rxjs';
 * export const doubled = defineFeature({
 *   name: 'doubled',
 *   version: 1,
 *   doc: 'Twice a column, at every event.',
 *   kind: 'pointInTime',
 *   params: z.strictObject({ column: z.string().describe('numeric column') }),
 *   inputs: (p) => [p.column],
 *   outputs: () => [{ name: '', type: 'float64' }],
 *   build: (p, ctx) => map((b) => {
 *     const src = b.columns[p.column] as { values: Float64Array };
 *     return { length: b.length, time: b.time, columns: { [ctx.columns[0]!]: { type: 'float64', values: src.values.map((v) => 2 * v) } } };
 *   }),
 * });
 */
export function defineFeature<P>(definition: FeatureDefinition<P>): FeatureDefinition<P> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(definition.name)) throw new Error(`feature definition name "${definition.name}" must be letters, digits and _`);
  if (!Number.isInteger(definition.version) || definition.version < 1) throw new Error(`feature definition ${definition.name}: version must be a whole number from 1`);
  return Object.freeze(definition);
}

export function kindOf<P>(d: FeatureDefinition<P>, params: P): FeatureKind {
  return typeof d.kind === 'function' ? d.kind(params) : d.kind;
}
