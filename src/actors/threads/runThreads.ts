import type { Worker } from 'node:worker_threads';
import type { CompiledFeatureSet, FeatureNode } from '../../pipelines/compile/compileFeatureSet.js';
import { concatBatches, sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';
import { takeColumn, type Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { KeySpace } from '../../pipelines/data/keySpace.js';
import { parseExpression, type Expression } from '../../pipelines/expressions/index.js';
import type { RuntimeContext } from '../../pipelines/runtime/context.js';
import { interleave, type SourceBatches } from '../inProcess.js';
import { assign } from '../partitioning/assignment.js';
import { DEFAULT_KEY_GROUPS } from '../partitioning/keyHash.js';
import { keyGroupsOfColumns } from '../partitioning/keyGroupsOf.js';
import { partitionRows } from '../partitioning/partitionRows.js';
import { ROW_COLUMN, type FromMain, type LaneSpec, type ToMain, type WorkerInit } from './protocol.js';
import { startModuleWorker } from './spawn.js';
import { DictionaryTable, fromWire, sharedInt32Copy, toWire } from './wire.js';

export interface ThreadsOptions {
  /** Worker threads (default 2). */
  workers?: number;
  /** Batches a worker may have queued before the reader waits (default 8). */
  maxInFlight?: number;
  /** Rows per output batch handed to `onOutput` (default 65,536). */
  outputBatchRows?: number;
}

export interface LanePlan {
  lanes: LaneSpec[];
  /** Things the user should know (a feature kept on one worker, and why). */
  notes: string[];
}

/**
 * Why a feature's state is not a function of its own key's events alone (so splitting its rows by
 * key would change its values), or undefined when it is key-local, as features normally are.
 * A definition may say so itself with `keyLocal(params)`; known cases are listed here.
 */
export function crossKeyState(n: FeatureNode): string | undefined {
  const hook = (n.definition as { keyLocal?: unknown }).keyLocal;
  if (typeof hook === 'function') return (hook as (p: unknown) => boolean)(n.params) ? undefined : `${n.definition.name} keeps state across keys`;
  if (n.definition.name === 'user_period_features') {
    const histograms = (n.params as { histograms?: { column: string; values?: unknown }[] }).histograms ?? [];
    const learned = histograms.find((h) => h.values === undefined);
    if (learned !== undefined) return `its histogram of ${learned.column} learns its slots from the first values seen across all keys (declare values: to split it by key)`;
  }
  return undefined;
}

/**
 * The lanes of a feature set: per source, its features grouped by key (in config order), or why
 * the feature set cannot run on threads (the caller then runs it locally). A feature whose state
 * spans keys gets a lane of its own that runs on one worker ("serial"), so its values stay exact.
 */
export function planLanes(compiled: CompiledFeatureSet, sources: readonly string[]): LanePlan | { unsupported: string } {
  const lanes: LaneSpec[] = [];
  const notes: string[] = [];
  for (const source of sources) {
    const src = compiled.config.sources[source];
    if (src === undefined) return { unsupported: `unknown source "${source}"` };
    const groups = new Map<string, { serial: boolean; nodes: FeatureNode[] }>();
    for (const n of compiled.nodes) {
      if (n.source !== source) continue;
      const missing = n.key.find((c) => !(c in src.columns) && !(c in src.derive));
      if (missing !== undefined) return { unsupported: `feature ${n.names[0]} is keyed on "${missing}", which is not a column of source "${source}"` };
      const why = crossKeyState(n);
      if (why !== undefined) notes.push(`threads executor: feature ${n.names[0]} runs on one worker: ${why}`);
      const k = `${JSON.stringify(n.key)}${why === undefined ? '' : '#serial'}`;
      const g = groups.get(k) ?? { serial: why !== undefined, nodes: [] };
      g.nodes.push(n);
      groups.set(k, g);
    }
    let primary = false;
    for (const { serial, nodes } of groups.values()) {
      const pointInTime = nodes.some((n) => n.kind === 'pointInTime');
      lanes.push({
        id: lanes.length,
        source,
        key: nodes[0]!.key,
        features: nodes.flatMap((n) => n.names),
        pointInTime,
        primary: pointInTime && !primary,
        serial,
      });
      if (pointInTime) primary = true;
    }
    const events = compiled.tables.find((t) => t.kind === 'events' && t.source === source);
    if (events !== undefined && !primary) return { unsupported: `the events table of "${source}" has derived features but no point-in-time feature` };
  }
  return { lanes, notes };
}

/** Workers of finished runs, reused by the next one (a worker's start-up, loading and JIT warm-up, is paid once). */
const idleWorkers: Worker[] = [];

interface WorkerHandle {
  worker: Worker;
  index: number;
  inFlight: number;
  done: boolean;
}

/**
 * Run a compiled feature set on worker threads, with the same results, in the same row order, as
 * `runInProcess`. Sources are read here; each batch is copied once into shared memory, split per
 * lane by key group, and every worker gathers the rows of the key groups it owns. Workers run each
 * lane's compiled pipeline and send their outputs back through shared memory; when the input
 * ends, the outputs are merged back into the local order:
 * - an events table: rows by (time, row number in the source), which is what `reorder` gives; the
 *   features of other lanes (other keys) are joined to them by row number; derived features are
 *   computed here, on the joined rows;
 * - a windowed table: rows by (window end, key code), which is the order windows close in.
 *
 * Lateness: each worker sees only its keys, so its own watermark would trail the source's. The
 * reader therefore announces the source's watermark before every row that is behind it, and each
 * worker decides those rows exactly as one thread over all keys would.
 */
export async function runThreads(
  compiled: CompiledFeatureSet,
  runtime: RuntimeContext,
  sources: Readonly<Record<string, SourceBatches>>,
  onOutput: (table: string, batch: Batch) => void,
  onInput: ((source: string, batch: Batch) => void) | undefined,
  opts: ThreadsOptions & { plan: LanePlan },
): Promise<void> {
  const count = Math.max(1, Math.floor(opts.workers ?? 2));
  const maxInFlight = opts.maxInFlight ?? 8;
  const { lanes } = opts.plan;
  const config = compiled.config;
  const keyGroups = config.keyGroups ?? DEFAULT_KEY_GROUPS;
  const assignment = assign(keyGroups, Array.from({ length: count }, (_, i) => `w${i}`));
  // Actor index (canonical order) -> worker index.
  const workerOf = Int32Array.from(assignment.actors, (a) => Number(a.slice(1)));
  const owner = Int32Array.from(assignment.owner, (a) => workerOf[a]!);

  const dicts = new DictionaryTable();
  // collected[lane][table][worker]
  const collected = lanes.map(() => new Map<string, Batch[][]>());
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const waitFor = async (cond: () => boolean) => {
    while (!cond()) {
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure !== undefined) throw failure;
  };

  const handles: WorkerHandle[] = [];
  let readyCount = 0;
  const detach: (() => void)[] = [];
  const init: WorkerInit = { config, lanes };
  for (let i = 0; i < count; i++) {
    const worker = idleWorkers.pop() ?? startModuleWorker(new URL('./worker.ts', import.meta.url));
    worker.ref();
    const h: WorkerHandle = { worker, index: i, inFlight: 0, done: false };
    const onMessage = (m: ToMain) => {
      switch (m.type) {
        case 'ready':
          readyCount++;
          break;
        case 'ack':
          h.inFlight--;
          break;
        case 'output': {
          const byTable = collected[m.lane]!;
          let perWorker = byTable.get(m.table);
          if (perWorker === undefined) {
            perWorker = Array.from({ length: count }, () => []);
            byTable.set(m.table, perWorker);
          }
          perWorker[i]!.push(fromWire(m.batch, dicts));
          return;
        }
        case 'reject': {
          const r = m.rejection;
          runtime.step(r.step, r.source).reject({ time: r.time, reason: r.reason, ...(r.offset !== undefined && { offset: r.offset }) });
          return;
        }
        case 'done':
          h.done = true;
          break;
        case 'error': {
          const e = new Error(`worker ${i}: ${m.message}`);
          if (m.stack !== undefined) e.stack = m.stack;
          failure ??= e;
          break;
        }
      }
      notify();
    };
    const onError = (err: Error) => {
      failure ??= err;
      notify();
    };
    const onExit = (code: number) => {
      failure ??= new Error(`worker ${i} exited (code ${code}) before finishing`);
      notify();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    detach.push(() => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
    worker.postMessage({ type: 'init', init } satisfies FromMain);
    handles.push(h);
  }

  try {
    await waitFor(() => readyCount === count);

    const state: Record<string, { rows: number; maxTime: number; announced: number; lateness: number }> = {};
    for (const s of Object.keys(sources)) state[s] = { rows: 0, maxTime: -Infinity, announced: -Infinity, lateness: config.sources[s]!.lateness };
    // Windowed tables with a composite key order their rows by the key's first appearance in the
    // source, as the local KeySpace numbers them: follow the same numbering here.
    const keyOrders = new Map<string, { source: string; space: KeySpace }>();
    for (const n of compiled.nodes) {
      if (n.kind !== 'windowed') continue;
      const cols = windowKeyColumns(n);
      const src = config.sources[n.source]!;
      // One source key column numbers keys by its dictionary codes already; a composite key, or a
      // computed (numeric) one, numbers them in order of first appearance.
      if (cols.length < 2 && cols.every((c) => c in src.columns)) continue;
      if (cols.some((c) => !(c in src.columns) && !(c in src.derive))) continue;
      for (const name of n.names) keyOrders.set(name, { source: n.source, space: new KeySpace(cols) });
    }
    const lanesOf = (source: string) => lanes.filter((l) => l.source === source);
    // Computed columns the split needs (a key on a computed column): evaluated here too, for the
    // split only; the workers compute them again in their pipelines, from the same rows.
    const derives: Record<string, [string, Expression][]> = {};
    for (const s of Object.keys(sources)) {
      const src = config.sources[s]!;
      const needed = [...lanesOf(s).flatMap((l) => l.key), ...[...keyOrders.values()].filter((k) => k.source === s).flatMap((k) => k.space.columns)];
      if (needed.some((c) => c in src.derive)) derives[s] = Object.entries(src.derive).map(([name, text]) => [name, parseExpression(text)]);
    }
    let seq = 0;

    await interleave(sources, async (source, b) => {
      if (failure !== undefined) throw failure;
      onInput?.(source, b);
      const st = state[source]!;
      const base = st.rows;
      st.rows += b.length;
      const kb = withDerived(b, derives[source]);
      for (const k of keyOrders.values()) if (k.source === source && b.length > 0) k.space.encode(kb);
      // Rows behind the source's watermark, with the watermark before each.
      const announce: number[] = [];
      let max = st.maxTime;
      for (let i = 0; i < b.length; i++) {
        const t = b.time[i]!;
        const w = Math.max(max - st.lateness, st.announced);
        if (t < w) announce.push(i, w);
        if (t > max) max = t;
      }
      st.maxTime = max;
      if (b.watermark !== undefined && b.watermark > st.announced) st.announced = b.watermark;
      const announceShared = new Float64Array(new SharedArrayBuffer(Math.max(8, announce.length * 8)), 0, announce.length);
      announceShared.set(announce);

      const dictionaries = dicts.deltas(b);
      const wire = toWire(b, dicts, true);
      const rows: Record<number, Int32Array>[] = handles.map(() => ({}));
      for (const lane of lanesOf(source)) {
        let groups: Int32Array;
        if (lane.key.length === 0 || lane.serial || b.length === 0) groups = new Int32Array(b.length);
        else {
          groups = keyGroupsOfColumns(lane.key.map((c) => kb.columns[c]!), keyGroups);
          // A null key has no group: its rows go with group 0, so they keep their place in the stream.
          for (let i = 0; i < groups.length; i++) if (groups[i]! < 0) groups[i] = 0;
        }
        const split = partitionRows(groups, owner, count);
        const shared = sharedInt32Copy(split.rows);
        for (let w = 0; w < count; w++) rows[w]![lane.id] = shared.subarray(split.offsets[w]!, split.offsets[w + 1]!);
      }
      for (const h of handles) {
        const msg: FromMain = { type: 'batch', seq: seq, source, base, batch: wire, dictionaries, rows: rows[h.index]!, announce: announceShared };
        h.inFlight++;
        h.worker.postMessage(msg);
      }
      seq++;
      await waitFor(() => handles.every((h) => h.inFlight < maxInFlight));
    });
    for (const h of handles) h.worker.postMessage({ type: 'end' } satisfies FromMain);
    await waitFor(() => handles.every((h) => h.done));

    mergeOutputs(compiled, lanes, collected, state, keyOrders, onOutput, opts.outputBatchRows ?? 65_536);
  } finally {
    for (const d of detach) d();
    // Workers that finished cleanly wait for the next run (unref'd: they never keep the process
    // alive); after a failure they are stopped.
    if (failure === undefined && handles.every((h) => h.done)) {
      for (const h of handles) {
        h.worker.unref();
        idleWorkers.push(h.worker);
      }
    } else await Promise.all(handles.map((h) => h.worker.terminate()));
  }
}

/** The columns a windowed feature's keyBy numbers its keys by: the key, plus `by` when grouped. */
function windowKeyColumns(n: FeatureNode): string[] {
  const by = (n.params as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' ? [...n.key, by] : [...n.key];
}

function mergeOutputs(
  compiled: CompiledFeatureSet,
  lanes: readonly LaneSpec[],
  collected: readonly Map<string, Batch[][]>[],
  state: Readonly<Record<string, { rows: number }>>,
  keyOrders: ReadonlyMap<string, { space: KeySpace }>,
  onOutput: (table: string, batch: Batch) => void,
  chunk: number,
): void {
  const emit = (table: string, b: Batch) => {
    for (let at = 0; at < b.length; at += chunk) onOutput(table, sliceBatch(b, at, Math.min(b.length, at + chunk)));
  };
  for (const t of compiled.tables) {
    if (t.kind === 'windows') {
      const lane = lanes.find((l) => l.source === t.source && l.features.includes(t.name));
      const parts = lane === undefined ? undefined : collected[lane.id]!.get(t.name);
      if (parts === undefined) continue;
      const node = compiled.nodes.find((n) => n.names.includes(t.name))!;
      const ordered = keyOrders.get(t.name)?.space;
      const all = concatBatches(sameDictionaries(parts.flat(), ordered));
      if (all.length === 0) continue;
      const cols = windowKeyColumns(node).filter((c) => c in all.columns);
      const space = ordered ?? new KeySpace(cols);
      const keys = cols.length === 0 ? new Int32Array(all.length) : space.encode(all);
      const order = Int32Array.from({ length: all.length }, (_, i) => i).sort((a, b) => all.time[a]! - all.time[b]! || keys[a]! - keys[b]! || a - b);
      emit(t.name, takeBatch(all, order));
      continue;
    }
    const pit = lanes.filter((l) => l.source === t.source && l.pointInTime);
    const primary = pit.find((l) => l.primary);
    if (primary === undefined) continue;
    const perWorker = (collected[primary.id]!.get(t.source) ?? []).map((bs) => concatBatches(bs)).filter((b) => b.length > 0);
    if (perWorker.length === 0) continue;
    // One worker's rows are in order already.
    const merged = perWorker.length === 1 ? perWorker[0]! : gatherParts(perWorker, mergeSorted(perWorker));
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
        if (p < 0) throw new Error(`threads: row ${rowNo[i]} of ${t.source} is missing from the lane keyed on [${lane.key.join(', ')}]`);
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
        if (col === undefined) throw new Error(`threads: feature column ${c} is missing`);
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

/** `b` with the source's computed columns (when the split needs one). */
function withDerived(b: Batch, derive: readonly [string, Expression][] | undefined): Batch {
  if (derive === undefined || b.length === 0) return b;
  const columns: Record<string, Column> = { ...b.columns };
  for (const [name, e] of derive) columns[name] = e.evaluate({ ...b, columns });
  return { ...b, columns };
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
  if (c === undefined || c.type === 'dictionary') throw new Error('threads: an events batch lost its row numbers');
  return c.values as Float64Array;
}

/** Where each row of the (time, row) order of `parts` (each sorted by (time, row)) comes from: a k-way merge. */
function mergeSorted(parts: readonly Batch[]): { part: Uint16Array; index: Int32Array } {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const part = new Uint16Array(total);
  const index = new Int32Array(total);
  const times = parts.map((p) => p.time);
  const rows = parts.map(rowColumn);
  const lengths = parts.map((p) => p.length);
  const pos = new Int32Array(parts.length);
  for (let i = 0; i < total; i++) {
    let best = -1;
    let bt = Infinity;
    let br = Infinity;
    for (let p = 0; p < parts.length; p++) {
      const j = pos[p]!;
      if (j >= lengths[p]!) continue;
      const t = times[p]![j]!;
      if (best < 0 || t < bt || (t === bt && rows[p]![j]! < br)) {
        best = p;
        bt = t;
        br = rows[p]![j]!;
      }
    }
    part[i] = best;
    index[i] = pos[best]!++;
  }
  return { part, index };
}

/** The rows `(part[i], index[i])` of several batches with the same columns, gathered into one batch (one copy). */
function gatherParts(parts: readonly Batch[], at: { part: Uint16Array; index: Int32Array }): Batch {
  const { part, index } = at;
  const n = part.length;
  const gather = <T extends Float64Array | Int32Array | Uint8Array>(srcs: T[], out: T): T => {
    for (let i = 0; i < n; i++) out[i] = srcs[part[i]!]![index[i]!]!;
    return out;
  };
  const time = gather(parts.map((p) => p.time), new Float64Array(n));
  const offsets = parts.every((p) => p.offsets !== undefined) ? gather(parts.map((p) => p.offsets!), new Float64Array(n)) : undefined;
  const columns: Record<string, Column> = {};
  for (const [name, first] of Object.entries(parts[0]!.columns)) {
    const cols = parts.map((p) => {
      const c = p.columns[name];
      if (c === undefined || c.type !== first.type) throw new Error(`threads: column ${name} differs between workers' outputs`);
      return c;
    });
    let validity: Uint8Array | undefined;
    if (cols.some((c) => c.validity !== undefined)) {
      validity = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = cols[part[i]!]!.validity;
        const j = index[i]!;
        if (v === undefined || ((v[j >> 3]! >> (j & 7)) & 1) === 1) validity[i >> 3]! |= 1 << (i & 7);
      }
    }
    const nulls = validity === undefined ? {} : { validity };
    if (first.type === 'dictionary') {
      const dcols = cols as Extract<Column, { type: 'dictionary' }>[];
      if (dcols.some((c) => c.dictionary !== first.dictionary)) throw new Error(`threads: column ${name} has different dictionaries in workers' outputs`);
      columns[name] = { type: 'dictionary', codes: gather(dcols.map((c) => c.codes), new Int32Array(n)), dictionary: first.dictionary, ...nulls };
    } else if (first.type === 'int32') {
      columns[name] = { type: 'int32', values: gather(cols.map((c) => (c as typeof first).values), new Int32Array(n)), ...nulls };
    } else if (first.type === 'bool') {
      columns[name] = { type: 'bool', values: gather(cols.map((c) => (c as typeof first).values), new Uint8Array(n)), ...nulls };
    } else {
      columns[name] = { type: first.type, values: gather(cols.map((c) => (c as typeof first).values), new Float64Array(n)), ...nulls };
    }
  }
  return { length: n, time, columns, ...(offsets && { offsets }) };
}
