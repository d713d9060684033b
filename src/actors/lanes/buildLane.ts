import { Subject } from 'rxjs';
import { compileFeatureSet, type CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import { createRuntime, type Rejection, type RuntimeContext } from '../../pipelines/runtime/context.js';
import type { StateStore } from '../../pipelines/runtime/state.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import type { FeatureRegistry } from '../../sdk/registry.js';
import type { LaneSpec } from './planLanes.js';

export interface RunningLane {
  spec: LaneSpec;
  input: Subject<Batch>;
  runtime: RuntimeContext;
}

/**
 * Compile and start one lane on an actor: the config's features filtered to the lane's (their
 * identities and step ids are content hashes, so they are the same as in one thread), on a runtime
 * over `store` (a fresh one, or one restored from a checkpoint). Outputs and late events go to the
 * callbacks; only the primary lane of a source reports reorder's late events, since every lane of
 * the source reorders the same rows.
 *
 * @example
 * const lane = buildLane(config, registry, spec, new StateStore(), (r) => dead.push(r), (t, b) => out.push(b), fail);
 * lane.input.next(batch);
 */
export function buildLane(
  config: FeatureSetConfig,
  registry: FeatureRegistry,
  spec: LaneSpec,
  store: StateStore | undefined,
  onReject: (r: Rejection) => void,
  onOutput: (table: string, b: Batch) => void,
  onError: (err: unknown) => void,
): RunningLane {
  return startLane(compileLane(config, registry, spec), spec, store, onReject, onOutput, onError);
}

/** A lane's pipeline, compiled once: `startLane` starts any number of instances of it (one per key group on a node). */
export function compileLane(config: FeatureSetConfig, registry: FeatureRegistry, spec: LaneSpec): CompiledFeatureSet {
  const names = new Set(spec.features);
  return compileFeatureSet({ ...config, features: config.features.filter((f) => f.kind !== 'derived' && names.has(f.name)) }, registry);
}

/** Start one instance of a compiled lane on `store` (fresh, or restored from a checkpoint). */
export function startLane(
  compiled: CompiledFeatureSet,
  spec: LaneSpec,
  store: StateStore | undefined,
  onReject: (r: Rejection) => void,
  onOutput: (table: string, b: Batch) => void,
  onError: (err: unknown) => void,
): RunningLane {
  const runtime = createRuntime(store, (r) => {
    if (!spec.primary && r.step.startsWith('reorder-')) return;
    onReject(r);
  });
  const input = new Subject<Batch>();
  const outputs = compiled.build(runtime, { [spec.source]: input });
  for (const [table, out$] of Object.entries(outputs)) {
    out$.subscribe({
      next: (b) => {
        if (b.length > 0) onOutput(table, b);
      },
      error: onError,
    });
  }
  return { spec, input, runtime };
}
