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

/**
 * How far back a feature's state reaches: what a run that starts late (a backfill partition, which
 * warms up over the events just before its range) must read to give a full replay's results.
 * See {@link FeatureDefinition.lookback}.
 */
export interface FeatureLookback {
  /**
   * Event time, ms: a result at time t depends only on the source's events with time >= t - ms
   * (and on which of them arrived late). Infinity: on every earlier event.
   */
  readonly ms: number;
  /**
   * The state keeps running sums (added when an event enters the window, subtracted when it leaves),
   * so the last bits of a result also depend on every event since the window was last empty: a run
   * that starts at t - ms gets the same values up to floating-point rounding, not bit for bit.
   */
  readonly rounding?: boolean;
}

/** What `lookback` gets besides the params: the feature's place in the config. */
export interface LookbackContext {
  /** Key columns of the feature. */
  readonly key: readonly string[];
  readonly source: SourceConfig;
  /**
   * Whether grouping by `columns` numbers the groups the same way in every run, whatever events it
   * has seen: true for no column (one group) and for one column the event log dictionary-encodes (a
   * key or a string column of the source, not a computed one). Other groupings number groups in the
   * order a run first sees them, and the rows of one closed window come out in that order.
   */
  stableGroups(columns: readonly string[]): boolean;
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
  /**
   * How far back in event time the state behind a result reaches, in ms (or a {@link FeatureLookback}
   * when the state also keeps running sums). A backfill warms a time range up over that much history
   * before it; absent or Infinity means unbounded (sessions, decays, lags, anything read from the
   * first event on), and the backfill then replays from the start of the log. Must be honest: a
   * too-short lookback makes a backfill differ from a full replay. A windowed definition must also
   * say Infinity when its row order depends on state (see `ctx.stableGroups`).
   *
   * @example
   * lookback: (p) => p.window,                              // a count over [t - window, t)
   * lookback: (p) => ({ ms: p.window, rounding: true }),    // a running sum over the same window
   */
  lookback?(params: P, ctx: LookbackContext): number | FeatureLookback;
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
