import type { CompiledFeatureSet, FeatureNode, TablePlan } from '../../pipelines/compile/compileFeatureSet.js';
import { concatBatches, gatherRows, sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';
import { takeColumn, type Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { KeySpace } from '../../pipelines/data/keySpace.js';
import { ROW_COLUMN, type LaneSpec } from './planLanes.js';

/** The columns a windowed feature's keyBy numbers its keys by: the key, plus `by` when grouped. */
export function windowKeyColumns(n: FeatureNode): string[] {
  const by = (n.params as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' ? [...n.key, by] : [...n.key];
}

/**
 * The actors' outputs merged back into the order one thread gives (`collected[lane][table]` holds
 * one list of batches per actor or key group, each in its own output order):
 * - an events table: the primary lane's rows by (time, row number), which is what `reorder` emits,
 *   a k-way merge; the features of the source's other lanes joined by row number; the source's
 *   derived features computed on the joined rows;
 * - a windowed table: rows by (window end, key code), the order windows close in; a composite or
 *   computed key is numbered by the reader's KeySpace (`keyOrders`), as the local keyBy numbers it.
 */
export function mergeLaneOutputs(
  compiled: CompiledFeatureSet,
  lanes: readonly LaneSpec[],
  collected: readonly Map<string, Batch[][]>[],
  state: Readonly<Record<string, { rows: number }>>,
  keyOrders: ReadonlyMap<string, { space: KeySpace }>,
  onOutput: (table: string, batch: Batch) => void,
  chunk: number,
): void {
  const emit = inChunks(onOutput, chunk);
  for (const t of compiled.tables) {
    if (t.kind === 'windows') {
      mergeWindowTable(compiled, lanes, collected, keyOrders, t, emit);
      continue;
    }
    const pit = lanes.filter((l) => l.source === t.source && l.pointInTime);
    const primary = pit.find((l) => l.primary);
    if (primary === undefined) continue;
    const perWorker = (collected[primary.id]!.get(t.source) ?? []).map((bs) => concatBatches(bs)).filter((b) => b.length > 0);
    if (perWorker.length === 0) continue;
    // One worker's rows are in order already.
    const order = perWorker.length === 1 ? undefined : mergeSorted(perWorker);
    const merged = order === undefined ? perWorker[0]! : gatherRows(perWorker, order.part, order.index);
    const rowNo = rowColumn(merged);
    const nodes = compiled.nodes.filter((n) => n.source === t.source && n.kind === 'pointInTime');
    const featureColumns = new Set(nodes.flatMap((n) => [...n.columns.values()].flat()));
    const columns: Record<string, Column> = {};
    for (const [name, c] of Object.entries(merged.columns)) if (name !== ROW_COLUMN && !featureColumns.has(name)) columns[name] = c;
    // Other lanes' features, joined by row number.
    const joined = new Map<string, Column>();
    for (const lane of pit) {
      if (lane === primary) continue;
      const other = concatBatches((collected[lane.id]!.get(t.source) ?? []).flat());
      const at = new Int32Array(state[t.source]!.rows).fill(-1);
      const otherRows = rowColumn(other);
      for (let i = 0; i < other.length; i++) at[otherRows[i]!] = i;
      const gather = new Int32Array(merged.length);
      for (let i = 0; i < merged.length; i++) {
        const p = at[rowNo[i]!]!;
        if (p < 0) throw new Error(`lane merge: row ${rowNo[i]} of ${t.source} is missing from the lane keyed on [${lane.key.join(', ')}]`);
        gather[i] = p;
      }
      const laneNames = new Set(lane.features);
      for (const n of nodes) {
        if (!n.names.some((x) => laneNames.has(x))) continue;
        for (const c of [...n.columns.values()].flat()) joined.set(c, takeColumn(other.columns[c]!, gather));
      }
    }
    for (const n of nodes) {
      for (const c of [...n.columns.values()].flat()) {
        const col = joined.get(c) ?? merged.columns[c];
        if (col === undefined) throw new Error(`lane merge: feature column ${c} is missing`);
        columns[c] = col;
      }
    }
    let out: Batch = { length: merged.length, time: merged.time, columns, ...(merged.offsets && { offsets: merged.offsets }) };
    for (const d of compiled.derived) {
      if (d.source !== t.source) continue;
      out = { ...out, columns: { ...out.columns, [d.name]: d.expression.evaluate(out) } };
    }
    emit(t.name, out);
  }
}

/**
 * Only the windowed tables of `mergeLaneOutputs` (for an executor that assembles events tables
 * its own way): rows by (window end, key code), in chunks of `chunk` rows.
 */
export function mergeWindowTables(
  compiled: CompiledFeatureSet,
  lanes: readonly LaneSpec[],
  collected: readonly Map<string, Batch[][]>[],
  keyOrders: ReadonlyMap<string, { space: KeySpace }>,
  onOutput: (table: string, batch: Batch) => void,
  chunk: number,
): void {
  const emit = inChunks(onOutput, chunk);
  for (const t of compiled.tables) if (t.kind === 'windows') mergeWindowTable(compiled, lanes, collected, keyOrders, t, emit);
}

function mergeWindowTable(
  compiled: CompiledFeatureSet,
  lanes: readonly LaneSpec[],
  collected: readonly Map<string, Batch[][]>[],
  keyOrders: ReadonlyMap<string, { space: KeySpace }>,
  t: TablePlan,
  emit: (table: string, b: Batch) => void,
): void {
  const lane = lanes.find((l) => l.source === t.source && l.features.includes(t.name));
  const parts = lane === undefined ? undefined : collected[lane.id]!.get(t.name);
  if (parts === undefined) return;
  const node = compiled.nodes.find((n) => n.names.includes(t.name))!;
  const ordered = keyOrders.get(t.name)?.space;
  const all = concatBatches(sameDictionaries(parts.flat(), ordered));
  if (all.length === 0) return;
  const cols = windowKeyColumns(node).filter((c) => c in all.columns);
  const space = ordered ?? new KeySpace(cols);
  const keys = cols.length === 0 ? new Int32Array(all.length) : space.encode(all);
  const order = Int32Array.from({ length: all.length }, (_, i) => i).sort((a, b) => all.time[a]! - all.time[b]! || keys[a]! - keys[b]! || a - b);
  emit(t.name, takeBatch(all, order));
}

/**
 * Output batches of several workers with their dictionary columns on one dictionary each. Columns
 * over the main thread's dictionaries already share them; a dictionary a worker made (a computed
 * numeric key) is recoded onto the one the main thread numbered the same keys with, in order of
 * first appearance, as the local run numbers them.
 */
function sameDictionaries(parts: readonly Batch[], space: KeySpace | undefined): Batch[] {
  if (parts.length < 2 && space === undefined) return [...parts];
  const targets = new Map<string, Dictionary>();
  if (space !== undefined) for (const [name, c] of Object.entries(space.decode(new Int32Array(0)))) if (c.type === 'dictionary') targets.set(name, c.dictionary);
  for (const p of parts) {
    for (const [name, c] of Object.entries(p.columns)) if (c.type === 'dictionary' && !targets.has(name)) targets.set(name, c.dictionary);
  }
  return parts.map((p) => {
    let columns: Record<string, Column> | undefined;
    for (const [name, c] of Object.entries(p.columns)) {
      const target = targets.get(name);
      if (c.type !== 'dictionary' || target === undefined || c.dictionary === target) continue;
      const recode = c.dictionary.values.map((v) => target.encode(v));
      const codes = Int32Array.from(c.codes, (code) => (code >= 0 && code < recode.length ? recode[code]! : code));
      columns ??= { ...p.columns };
      columns[name] = { ...c, codes, dictionary: target };
    }
    return columns === undefined ? p : { ...p, columns };
  });
}

function rowColumn(b: Batch): Float64Array {
  const c = b.columns[ROW_COLUMN];
  if (c === undefined || c.type === 'dictionary') throw new Error('lane merge: an events batch lost its row numbers');
  return c.values as Float64Array;
}

/**
 * Where each row of the (time, row) order of `parts` (each sorted by (time, row)) comes from: a
 * k-way merge over a binary heap of the parts' heads, so hundreds of parts (one per key group)
 * cost O(n log k).
 */
function mergeSorted(parts: readonly Batch[]): { part: Uint16Array; index: Int32Array } {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const part = new Uint16Array(total);
  const index = new Int32Array(total);
  const times = parts.map((p) => p.time);
  const rows = parts.map(rowColumn);
  const lengths = parts.map((p) => p.length);
  const pos = new Int32Array(parts.length);
  const heap = new Int32Array(parts.length);
  let size = 0;
  const less = (a: number, b: number) => {
    const ta = times[a]![pos[a]!]!;
    const tb = times[b]![pos[b]!]!;
    return ta < tb || (ta === tb && rows[a]![pos[a]!]! < rows[b]![pos[b]!]!);
  };
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= size) return;
      const c = l + 1 < size && less(heap[l + 1]!, heap[l]!) ? l + 1 : l;
      if (!less(heap[c]!, heap[at]!)) return;
      const t = heap[c]!;
      heap[c] = heap[at]!;
      heap[at] = t;
      at = c;
    }
  };
  for (let p = 0; p < parts.length; p++) if (lengths[p]! > 0) heap[size++] = p;
  for (let at = (size >> 1) - 1; at >= 0; at--) down(at);
  for (let i = 0; i < total; i++) {
    const best = heap[0]!;
    part[i] = best;
    index[i] = pos[best]!++;
    if (pos[best]! >= lengths[best]!) heap[0] = heap[--size]!;
    down(0);
  }
  return { part, index };
}

/** `onOutput` for batches of at most `chunk` rows (views). */
function inChunks(onOutput: (table: string, batch: Batch) => void, chunk: number): (table: string, b: Batch) => void {
  return (table, b) => {
    for (let at = 0; at < b.length; at += chunk) onOutput(table, sliceBatch(b, at, Math.min(b.length, at + chunk)));
  };
}
