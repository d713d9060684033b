import { watermarkBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { parseExpression, type Expression } from '../../pipelines/expressions/index.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { KeyHashes, keyGroupsOfColumns } from '../partitioning/keyGroupsOf.js';
import { emitAtAnnouncements } from '../lanes/feedLane.js';
import { ROW_COLUMN, type LaneSpec } from '../lanes/planLanes.js';
import { Arena, batchBytes, gatherBatch } from './gather.js';

/**
 * A worker's own rows of each batch, per lane: those whose key group (of the lane's key, as
 * SourceSplitter computes it: a null key goes with group 0, a serial lane wholly to group 0's owner)
 * it owns. Every worker reads the whole batch from shared memory and picks its rows itself, so the
 * main thread does no per-row work for the split. The usual key, one dictionary column, costs one
 * lookup per row in a code -> owner table kept per dictionary (dictionaries only grow).
 */
export class RowSelector {
  private readonly hashes = new KeyHashes();
  private readonly owners = new WeakMap<Dictionary, Int32Array>();
  private readonly derive = new Map<string, [string, Expression][]>();
  private readonly scratches = new Map<number, Int32Array>();
  private lastInput: Batch | undefined;
  private lastKeyed: Batch | undefined;

  constructor(
    config: FeatureSetConfig,
    lanes: readonly LaneSpec[],
    private readonly keyGroups: number,
    /** Owning worker of each key group. */
    private readonly owner: Int32Array,
    private readonly me: number,
    private readonly workers: number,
    /** Key hashes of a dictionary's codes, when known already (sent by the main thread). */
    private readonly hashesOf?: (d: Dictionary) => Uint32Array | undefined,
  ) {
    // Computed columns a lane key needs, evaluated here for the split only (the lane computes them again).
    for (const [name, src] of Object.entries(config.sources)) {
      const keys = lanes.filter((l) => l.source === name).flatMap((l) => l.key);
      if (keys.some((c) => c in src.derive)) this.derive.set(name, Object.entries(src.derive).map(([n, text]) => [n, parseExpression(text)]));
    }
  }

  /**
   * This worker's rows of `b` for `lane`, ascending; undefined means every row, read in place (only
   * with one worker: with several, the main thread recycles a batch's memory once every worker has
   * acknowledged it, so each worker gathers its rows, even all of them). Valid until the next call
   * for the same lane (the list is a reused scratch array).
   */
  rows(lane: LaneSpec, b: Batch): Int32Array | undefined {
    const n = b.length;
    if (this.workers === 1) return undefined;
    const out = this.scratch(lane.id, n);
    if (lane.key.length === 0 || lane.serial || n === 0) {
      if (this.owner[0] !== this.me) return out.subarray(0, 0);
      for (let i = 0; i < n; i++) out[i] = i;
      return out.subarray(0, n);
    }
    const kb = this.keyed(lane.source, b);
    const cols = lane.key.map((c) => kb.columns[c]!);
    const first = cols[0]!;
    if (cols.length === 1 && first.type === 'dictionary' && first.validity === undefined) {
      return out.subarray(0, selectByCode(first.codes, n, this.ownersOf(first.dictionary), this.owner[0]!, this.me, out));
    }
    return out.subarray(0, selectByGroup(keyGroupsOfColumns(cols, this.keyGroups, this.hashes), n, this.owner, this.me, out));
  }

  private scratch(lane: number, n: number): Int32Array {
    let s = this.scratches.get(lane);
    if (s === undefined || s.length < n) this.scratches.set(lane, (s = new Int32Array(Math.max(n, 1024))));
    return s;
  }

  /**
   * Owner of every code of a dictionary, extended as it grows: from the key hashes the main thread
   * sent with the dictionary (`hashesOf`), or hashed here.
   */
  private ownersOf(d: Dictionary): Int32Array {
    let owners = this.owners.get(d);
    if (owners === undefined || owners.length < d.size) {
      const hashes = this.hashesOf?.(d) ?? this.hashes.of(d);
      const next = new Int32Array(hashes.length);
      const from = owners?.length ?? 0;
      if (owners !== undefined) next.set(owners);
      for (let c = from; c < hashes.length; c++) next[c] = this.owner[hashes[c]! % this.keyGroups]!;
      owners = next;
      this.owners.set(d, owners);
    }
    return owners;
  }

  /** `b` with the computed columns a key needs (memoized for the lanes of one batch). */
  private keyed(source: string, b: Batch): Batch {
    const derive = this.derive.get(source);
    if (derive === undefined) return b;
    if (this.lastInput === b) return this.lastKeyed!;
    const columns: Record<string, Column> = { ...b.columns };
    for (const [name, e] of derive) columns[name] = e.evaluate({ ...b, columns });
    this.lastInput = b;
    this.lastKeyed = { ...b, columns };
    return this.lastKeyed;
  }
}

/*
 * The hot loops, as small functions of typed arrays only (each stays monomorphic and optimized).
 * Branch-free: rows are split between workers at random, so a branch would mispredict half the time.
 */

/** Rows whose code's owner is `me` (a code outside the dictionary is a null key: group 0's owner), into `out`; returns how many. */
function selectByCode(codes: Int32Array, n: number, owners: Int32Array, owner0: number, me: number, out: Int32Array): number {
  const size = owners.length;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const code = codes[i]!;
    const d = ((code >>> 0) < size ? owners[code]! : owner0) - me; // a negative code is >= size unsigned
    out[k] = i;
    k += 1 - ((d | -d) >>> 31); // 1 when d is 0: arithmetic, not a branch
  }
  return k;
}

/** Rows whose key group's owner is `me` (group -1, a null key, counts as group 0), into `out`; returns how many. */
function selectByGroup(groups: Int32Array, n: number, owner: Int32Array, me: number, out: Int32Array): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    out[k] = i;
    k += +(owner[g < 0 ? 0 : g] === me);
  }
  return k;
}

/**
 * feedLane (../lanes/feedLane.ts) for a worker thread: `rows` undefined means every row of the
 * batch, which is then passed as it is (views of shared memory that nothing reuses) instead of
 * gathered. Rows are tagged with their row number in the source stream (`base + row`, or
 * `rowNumbers[row]` when given) and cut where the reader announced the source's watermark.
 */
export function feedRows(next: (b: Batch) => void, batch: Batch, base: number, rows: Int32Array | undefined, announce: Float64Array, rowNumbers?: Float64Array): void {
  const n = rows === undefined ? batch.length : rows.length;
  if (n === 0) {
    if (batch.watermark !== undefined) next(watermarkBatch(batch.watermark));
    return;
  }
  let mine = batch;
  let rowNo: Float64Array;
  if (rows === undefined) {
    if (rowNumbers !== undefined) rowNo = rowNumbers;
    else {
      rowNo = new Float64Array(n);
      for (let i = 0; i < n; i++) rowNo[i] = base + i;
    }
  } else {
    // One buffer for the gathered columns and the row numbers.
    const arena = new Arena(new ArrayBuffer(batchBytes(batch, n) + n * 8));
    mine = gatherBatch(batch, rows, n, arena);
    rowNo = arena.f64(n);
    if (rowNumbers !== undefined) for (let i = 0; i < n; i++) rowNo[i] = rowNumbers[rows[i]!]!;
    else for (let i = 0; i < n; i++) rowNo[i] = base + rows[i]!;
  }
  const tagged: Batch = { ...mine, columns: { ...mine.columns, [ROW_COLUMN]: { type: 'float64', values: rowNo } } };
  emitAtAnnouncements(next, tagged, rows, announce);
}
