import { serialize, deserialize } from 'node:v8';
import { watermarkBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Rejection } from '../../pipelines/runtime/context.js';
import { StateStore } from '../../pipelines/runtime/state.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import type { FeatureRegistry } from '../../sdk/registry.js';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { compileLane, startLane, type RunningLane } from '../lanes/buildLane.js';
import { feedLane } from '../lanes/feedLane.js';
import type { LaneSpec } from '../lanes/planLanes.js';

/** The state of one key group of one lane: what a checkpoint stores and a restore ships. */
export interface KeyGroupState {
  lane: number;
  group: number;
  /** v8-serialized StateStore snapshot. */
  bytes: Uint8Array;
}

/** Output rows of one key group of one lane, since the last `takeOutputs`. */
export interface KeyGroupOutput {
  lane: number;
  table: string;
  group: number;
  batches: Batch[];
}

/** One lane's rows of a batch for this actor: row indexes into the batch, and each row's key group. */
export interface LaneRows {
  lane: number;
  rows: Int32Array;
  groups: Int32Array;
}

/**
 * The computing core of an actor node, without any I/O: it owns key groups of each lane and runs
 * one instance of the lane's pipeline per key group, each on its own state store. A key group's
 * state therefore is one snapshot, and moves as a whole: a checkpoint stores it, and any actor can
 * restore it. Instances start when their key group first sees a row (or is restored).
 *
 * @example
 * const actor = new KeyGroupActor(config, registry, lanes, new Map([[0, [0, 1, 2]]]), []);
 * actor.feed(batch, rowNumbers, [{ lane: 0, rows, groups }], announce);
 * actor.snapshot();   // at a barrier
 * actor.takeOutputs(); // to the coordinator
 */
export class KeyGroupActor {
  private readonly lanes = new Map<number, { spec: LaneSpec; compiled: CompiledFeatureSet }>();
  private readonly instances = new Map<string, RunningLane>();
  private readonly restored = new Map<string, Uint8Array>();
  private readonly owned = new Map<number, Set<number>>();
  private outputs = new Map<string, KeyGroupOutput>();
  private rejections: Rejection[] = [];
  private failure: unknown;

  constructor(
    config: FeatureSetConfig,
    registry: FeatureRegistry,
    lanes: readonly LaneSpec[],
    owned: ReadonlyMap<number, readonly number[]>,
    restore: readonly KeyGroupState[],
  ) {
    for (const l of lanes) this.lanes.set(l.id, { spec: l, compiled: compileLane(config, registry, l) });
    for (const [lane, groups] of owned) this.owned.set(lane, new Set(groups));
    for (const s of restore) {
      if (!this.owned.get(s.lane)?.has(s.group)) throw new Error(`restore of key group ${s.group} of lane ${s.lane}, which this actor does not own`);
      this.restored.set(`${s.lane}:${s.group}`, s.bytes);
    }
  }

  /**
   * Feed this actor's rows of one source batch. `rowNumbers[i]` is row i's number in the source
   * stream; `announce` holds (row index, watermark) pairs, ascending (see SourceSplitter).
   */
  feed(batch: Batch, rowNumbers: Float64Array, lanes: readonly LaneRows[], announce: Float64Array): void {
    for (const { lane, rows, groups } of lanes) {
      const owned = this.owned.get(lane);
      // Rows per key group, in arrival order: a counting sort over the groups (typed arrays only).
      let top = 0;
      for (let i = 0; i < groups.length; i++) if (groups[i]! > top) top = groups[i]!;
      const start = new Int32Array(top + 2);
      for (let i = 0; i < groups.length; i++) start[groups[i]! + 1]!++;
      for (let g = 0; g <= top; g++) start[g + 1]! += start[g]!;
      const sorted = new Int32Array(rows.length);
      const at = start.slice(0, top + 1);
      for (let i = 0; i < rows.length; i++) sorted[at[groups[i]!]!++] = rows[i]!;
      for (let g = 0; g <= top; g++) {
        if (start[g + 1] === start[g]) continue;
        if (owned === undefined || !owned.has(g)) throw new Error(`a row of key group ${g} of lane ${lane} reached an actor that does not own it`);
        const inst = this.instance(lane, g);
        feedLane((b) => inst.input.next(b), batch, 0, sorted.subarray(start[g]!, start[g + 1]!), announce, rowNumbers);
      }
    }
    this.throwIfFailed();
  }

  /**
   * The end of the input: every instance is brought to its source's final watermark (an instance
   * that saw only some keys would otherwise stop at its own last event), then flushes what it holds.
   */
  end(watermarks: Readonly<Record<string, number>> = {}): void {
    // Restored key groups that saw no rows since still hold state (open windows, held rows).
    for (const key of [...this.restored.keys()]) {
      const [lane, group] = key.split(':').map(Number) as [number, number];
      this.instance(lane, group);
    }
    for (const inst of this.instances.values()) {
      const w = watermarks[inst.spec.source];
      if (w !== undefined && w > -Infinity) inst.input.next(watermarkBatch(w));
      inst.input.complete();
    }
    this.throwIfFailed();
  }

  /** Every owned key group's state (those never touched are fresh and need none). */
  snapshot(): KeyGroupState[] {
    const out: KeyGroupState[] = [];
    for (const [key, inst] of this.instances) {
      const [lane, group] = key.split(':').map(Number) as [number, number];
      out.push({ lane, group, bytes: serialize(inst.runtime.store.snapshot()) });
    }
    for (const [key, bytes] of this.restored) {
      if (this.instances.has(key)) continue;
      const [lane, group] = key.split(':').map(Number) as [number, number];
      out.push({ lane, group, bytes });
    }
    return out;
  }

  takeOutputs(): KeyGroupOutput[] {
    const out = [...this.outputs.values()];
    this.outputs = new Map();
    return out;
  }

  /** Rows of output waiting in `takeOutputs`. */
  get pendingRows(): number {
    let n = 0;
    for (const o of this.outputs.values()) for (const b of o.batches) n += b.length;
    return n;
  }

  takeRejections(): Rejection[] {
    const out = this.rejections;
    this.rejections = [];
    return out;
  }

  private instance(lane: number, group: number): RunningLane {
    const key = `${lane}:${group}`;
    let inst = this.instances.get(key);
    if (inst !== undefined) return inst;
    const l = this.lanes.get(lane);
    if (l === undefined) throw new Error(`unknown lane ${lane}`);
    const saved = this.restored.get(key);
    this.restored.delete(key);
    const store = saved === undefined ? new StateStore() : new StateStore(deserialize(saved) as Record<string, unknown>);
    inst = startLane(
      l.compiled,
      l.spec,
      store,
      (r) => this.rejections.push(r),
      (table, b) => {
        const k = `${lane}:${table}:${group}`;
        let o = this.outputs.get(k);
        if (o === undefined) this.outputs.set(k, (o = { lane, table, group, batches: [] }));
        o.batches.push(b);
      },
      (err) => (this.failure ??= err),
    );
    this.instances.set(key, inst);
    return inst;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
