import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { KeySpace } from '../../pipelines/data/keySpace.js';
import { parseExpression, type Expression } from '../../pipelines/expressions/index.js';
import { DEFAULT_KEY_GROUPS } from '../partitioning/keyHash.js';
import { keyGroupsOfColumns } from '../partitioning/keyGroupsOf.js';
import { windowKeyColumns } from './mergeLaneOutputs.js';
import type { LaneSpec } from './planLanes.js';

/** What the reader knows of one source's stream so far (part of a checkpoint). */
export interface SourcePosition {
  /** Rows read (the next row's number in the source stream). */
  rows: number;
  maxTime: number;
  /** The greatest watermark a batch carried (idle sources). */
  announced: number;
  lateness: number;
}

/** One batch of a source, split for the actors. */
export interface SplitBatch {
  /** Row number in the source stream of the batch's first row. */
  base: number;
  /** (row, watermark) pairs: rows behind the source's watermark, and the watermark before each. */
  announce: Float64Array;
  /** Per lane id of this source: each row's key group (a null key goes with group 0). */
  groups: Map<number, Int32Array>;
}

export interface SplitterSnapshot {
  positions: Record<string, SourcePosition>;
  keyOrders: Record<string, unknown>;
}

/**
 * The reader's side of running lanes on several actors: per batch, each row's key group in every
 * lane of its source, and the source's watermark announced before each row that is behind it, so
 * an actor that sees only its own keys decides lateness as one thread over all keys would. It also
 * numbers composite window keys in order of first appearance, as the local keyBy does, for the
 * merge. Its state is a few numbers per source plus those key spaces: `snapshot()` is what a
 * checkpoint records beside the source offsets.
 */
export class SourceSplitter {
  readonly positions: Record<string, SourcePosition> = {};
  /** Windowed tables whose composite or computed key is numbered here, by table name. */
  readonly keyOrders = new Map<string, { source: string; space: KeySpace }>();
  private readonly derives: Record<string, [string, Expression][]> = {};
  private readonly keyGroups: number;

  constructor(
    compiled: CompiledFeatureSet,
    private readonly lanes: readonly LaneSpec[],
    sources: readonly string[],
  ) {
    const config = compiled.config;
    this.keyGroups = config.keyGroups ?? DEFAULT_KEY_GROUPS;
    for (const s of sources) this.positions[s] = { rows: 0, maxTime: -Infinity, announced: -Infinity, lateness: config.sources[s]!.lateness };
    for (const n of compiled.nodes) {
      if (n.kind !== 'windowed') continue;
      const cols = windowKeyColumns(n);
      const src = config.sources[n.source]!;
      // One source key column numbers keys by its dictionary codes already; a composite key, or a
      // computed (numeric) one, numbers them in order of first appearance.
      if (cols.length < 2 && cols.every((c) => c in src.columns)) continue;
      if (cols.some((c) => !(c in src.columns) && !(c in src.derive))) continue;
      for (const name of n.names) this.keyOrders.set(name, { source: n.source, space: new KeySpace(cols) });
    }
    // Computed columns the split needs (a key on a computed column) are evaluated here, for the
    // split only; the actors compute them again in their pipelines, from the same rows.
    for (const s of sources) {
      const src = config.sources[s]!;
      const needed = [...lanes.filter((l) => l.source === s).flatMap((l) => l.key), ...[...this.keyOrders.values()].filter((k) => k.source === s).flatMap((k) => k.space.columns)];
      if (needed.some((c) => c in src.derive)) this.derives[s] = Object.entries(src.derive).map(([name, text]) => [name, parseExpression(text)]);
    }
  }

  /** Split the next batch of `source` (batches must come in stream order). */
  split(source: string, b: Batch): SplitBatch {
    const st = this.positions[source];
    if (st === undefined) throw new Error(`unknown source "${source}"`);
    const base = st.rows;
    st.rows += b.length;
    const kb = withDerived(b, this.derives[source]);
    for (const k of this.keyOrders.values()) if (k.source === source && b.length > 0) k.space.encode(kb);
    const announce: number[] = [];
    const time = b.time;
    const { lateness, announced } = st;
    let max = st.maxTime;
    // The watermark before each row; it moves only when the greatest time does.
    let w = Math.max(max - lateness, announced);
    for (let i = 0; i < b.length; i++) {
      const t = time[i]!;
      if (t < w) announce.push(i, w);
      if (t > max) {
        max = t;
        w = Math.max(max - lateness, announced);
      }
    }
    st.maxTime = max;
    if (b.watermark !== undefined && b.watermark > st.announced) st.announced = b.watermark;
    const groups = new Map<number, Int32Array>();
    for (const lane of this.lanes) {
      if (lane.source !== source) continue;
      let g: Int32Array;
      if (lane.key.length === 0 || lane.serial || b.length === 0) g = new Int32Array(b.length);
      else {
        g = keyGroupsOfColumns(lane.key.map((c) => kb.columns[c]!), this.keyGroups);
        // A null key has no group: its rows go with group 0, so they keep their place in the stream.
        for (let i = 0; i < g.length; i++) if (g[i]! < 0) g[i] = 0;
      }
      groups.set(lane.id, g);
    }
    return { base, announce: Float64Array.from(announce), groups };
  }

  snapshot(): SplitterSnapshot {
    const keyOrders: Record<string, unknown> = {};
    for (const [name, k] of this.keyOrders) keyOrders[name] = k.space.snapshot();
    return { positions: structuredClone(this.positions), keyOrders };
  }

  restore(s: SplitterSnapshot): void {
    for (const [name, p] of Object.entries(s.positions)) if (name in this.positions) this.positions[name] = { ...p };
    for (const [name, k] of this.keyOrders) if (s.keyOrders[name] !== undefined) k.space.restore(s.keyOrders[name]);
  }
}

/** `b` with the source's computed columns (when the split needs one). */
function withDerived(b: Batch, derive: readonly [string, Expression][] | undefined): Batch {
  if (derive === undefined || b.length === 0) return b;
  const columns: Record<string, Column> = { ...b.columns };
  for (const [name, e] of derive) columns[name] = e.evaluate({ ...b, columns });
  return { ...b, columns };
}
