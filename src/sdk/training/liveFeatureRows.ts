import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { concatBatches, sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Column, NumberColumn } from '../../pipelines/data/column.js';
import { parseExpression, type Expression } from '../../pipelines/expressions/index.js';
import { planSet, type ColumnPlan, type SetPlan } from '../../store/labels/planSet.js';
import { AsOfIndex } from './liveAsOf.js';

export interface LiveFeatureRowsOptions {
  /** Spine columns to carry into each row besides the set's keys (categorical inputs). */
  carry?: readonly string[];
  /**
   * How long, in event time, a spine row may wait for the tables it joins (default: no bound; the
   * wait then ends when those sources' watermarks pass the row, which an idle source's
   * `idle_timeout` bounds). 0 assembles each row at once from what has arrived.
   */
  maxHoldMs?: number;
  /** Sources that get live events (default: those with a `live:` section). The others are complete once caught up. */
  liveSources?: Iterable<string>;
  /** Rows an as-of index may hold before it forgets what no future row can read (default 65536; small in tests). */
  compactRows?: number;
}

/** What became of the spine rows seen since scoring started. */
export interface LiveRowCounts {
  spine: number;
  /** Left out by the set's `where`. */
  filtered: number;
  /** Assembled and handed out. */
  released: number;
  /** Released before every joined table had passed them (the hold bound). */
  releasedEarly: number;
}

interface Join {
  table: string;
  source: string;
  index: AsOfIndex;
  columns: Extract<ColumnPlan, { kind: 'asof' }>[];
}

/**
 * The rows of a feature-label set, built online from a live run's outputs exactly as `assembleSet`
 * builds them from replay's tables: one row per new spine row that passes the set's `where`, its own
 * features read from the row, every other feature joined as of the row's time (strictly before it,
 * within the set's tolerance) from the rows of that table seen so far, and the derived features that
 * mix sources evaluated on those.
 *
 * Strictly before t needs every table row before t, so a spine row waits until the watermark of
 * each live source it joins has reached t (the pipeline has then emitted all that source's rows
 * before t), or until the spine has moved `maxHoldMs` past it. Rows then equal the set's rows.
 *
 * Feed it `input` (every processed input batch, for the watermarks) and `output` (every output
 * batch); call `start()` when the catch-up is over (earlier spine rows are history, not scored) and
 * `ready()` to take the rows assembled since; `flush()` at the end.
 *
 * @example
 * const rows = new LiveFeatureRows(compiled, 'fraud_7d', { carry: ['merchant_bucket'] });
 * const run = await startLive(config, { onOutput: (t, b) => rows.output(t, b), onInput: (s, b) => rows.input(s, b), onCaughtUp: () => rows.start() });
 * for (const b of rows.ready()) scorer.score(b); // b: keys, time, carried columns, every feature column
 * @throws Error when the set's spine has no table (a source with no point-in-time feature)
 */
export class LiveFeatureRows {
  readonly plan: SetPlan;
  /** The output table whose rows are the set's rows. */
  readonly spineTable: string;
  readonly counts: LiveRowCounts = { spine: 0, filtered: 0, released: 0, releasedEarly: 0 };
  private readonly where: Expression | undefined;
  private readonly joins: Join[] = [];
  private readonly tolerance: number;
  private readonly maxHold: number;
  /** Per live source a spine row may wait for: the largest event time seen, and the latest announced watermark. */
  private readonly watermarks = new Map<string, { lateness: number; maxTime: number; announced: number }>();
  private readonly keep: string[];
  private pending: Batch[] = [];
  private started = false;
  private spineMax = -Infinity;
  private compactAt = 1 << 16;

  constructor(
    private readonly compiled: CompiledFeatureSet,
    setName: string,
    opts: LiveFeatureRowsOptions = {},
  ) {
    this.plan = planSet(compiled, setName);
    const { spine, set } = this.plan;
    if (spine.table === undefined) {
      throw new Error(`set "${setName}": its spine "${spine.name}" is a source with no point-in-time feature, so a live run emits no rows for it; live scoring needs a spine table`);
    }
    this.spineTable = spine.table;
    this.where = set.where === undefined ? undefined : parseExpression(set.where);
    this.tolerance = set.tolerance ?? Infinity;
    this.maxHold = opts.maxHoldMs ?? Infinity;
    this.compactAt = opts.compactRows ?? this.compactAt;
    if (!(this.maxHold >= 0)) throw new Error(`maxHoldMs must be 0 or more, got ${opts.maxHoldMs}`);
    const config = compiled.config;
    const live = new Set(opts.liveSources ?? Object.values(config.sources).filter((s) => s.live !== undefined).map((s) => s.name));
    const groups = new Map<string, Join>();
    for (const c of this.plan.columns) {
      if (c.kind !== 'asof') continue;
      const id = `${c.table}\u0000${c.key.join('\u0000')}`;
      let join = groups.get(id);
      if (join === undefined) {
        const source = compiled.tables.find((t) => t.name === c.table)?.source ?? c.table;
        join = { table: c.table, source, index: undefined as unknown as AsOfIndex, columns: [] };
        groups.set(id, join);
      }
      join.columns.push(c);
    }
    for (const j of groups.values()) {
      j.index = new AsOfIndex(j.columns[0]!.key, j.columns.map((c) => c.name));
      this.joins.push(j);
      if (live.has(j.source)) this.watermarks.set(j.source, { lateness: config.sources[j.source]!.lateness, maxTime: -Infinity, announced: -Infinity });
    }
    this.keep = [...new Set([...set.key, ...(opts.carry ?? [])])];
  }

  /** Scoring starts: spine rows from now on are new (those before were the catch-up's history). */
  start(): void {
    this.started = true;
  }

  /** An input batch the pipeline has processed: moves its source's watermark. */
  input(source: string, b: Batch): void {
    const w = this.watermarks.get(source);
    if (w === undefined) return;
    for (let i = 0; i < b.length; i++) if (b.time[i]! > w.maxTime) w.maxTime = b.time[i]!;
    if (b.watermark !== undefined && b.watermark > w.announced) w.announced = b.watermark;
  }

  /** An output batch of the live run: joined tables are indexed, new spine rows queued. */
  output(table: string, b: Batch): void {
    if (b.length === 0) return;
    for (const j of this.joins) {
      if (j.table !== table) continue;
      j.index.add(b, `table "${table}"`);
      // Also during the catch-up, so the index never holds the whole history once the spine has moved on.
      if (j.index.rows >= this.compactAt) this.compact();
    }
    if (table !== this.spineTable) return;
    for (let i = 0; i < b.length; i++) if (b.time[i]! > this.spineMax) this.spineMax = b.time[i]!;
    if (!this.started) return;
    this.counts.spine += b.length;
    let rows = b;
    if (this.where !== undefined) {
      const mask = this.where.evaluatePredicate(b);
      const idx = new Int32Array(b.length);
      let n = 0;
      for (let i = 0; i < b.length; i++) if (mask[i] === 1) idx[n++] = i;
      this.counts.filtered += b.length - n;
      if (n === 0) return;
      if (n < b.length) rows = takeBatch(b, idx, n);
    }
    this.pending.push(rows);
  }

  /** The rows whose joined tables have all passed them (or that waited `maxHoldMs`), assembled. */
  ready(): Batch[] {
    let bound = Infinity;
    for (const w of this.watermarks.values()) bound = Math.min(bound, Math.max(w.maxTime - w.lateness, w.announced));
    const held = this.spineMax - this.maxHold;
    return this.release(Math.max(bound, held), bound);
  }

  /** Every row still waiting, assembled now (the end of the run). */
  flush(): Batch[] {
    return this.release(Infinity, Infinity);
  }

  /** Rows at the head of the queue with time <= `until`; `complete` is the time every joined table has passed. */
  private release(until: number, complete: number): Batch[] {
    const out: Batch[] = [];
    while (this.pending.length > 0) {
      const b = this.pending[0]!;
      let n = 0;
      while (n < b.length && b.time[n]! <= until) n++;
      if (n === 0) break;
      out.push(n === b.length ? b : sliceBatch(b, 0, n));
      if (n === b.length) this.pending.shift();
      else {
        this.pending[0] = sliceBatch(b, n, b.length);
        break;
      }
    }
    if (out.length === 0) return [];
    for (const b of out) for (let i = 0; i < b.length; i++) if (b.time[i]! > complete) this.counts.releasedEarly++;
    const assembled = joinable(out).map((b) => this.assemble(b));
    for (const b of assembled) this.counts.released += b.length;
    this.compact();
    return assembled;
  }

  /** The set's row for each spine row: keys and carried columns as they are, every feature column. */
  private assemble(rows: Batch): Batch {
    const spineName = `spine table "${this.spineTable}"`;
    const values = new Map<string, Column>();
    for (const j of this.joins) {
      const cols = j.index.lookup(rows, this.tolerance, spineName);
      j.columns.forEach((c, i) => values.set(c.name, cols[i]!));
    }
    for (const c of this.plan.columns) {
      if (c.kind === 'spine') {
        const col = rows.columns[c.name];
        if (col === undefined) throw new Error(`${spineName} has no column "${c.name}"`);
        values.set(c.name, toNumbers(col, c.name));
      } else if (c.kind === 'derived') {
        const columns: Record<string, Column> = {};
        for (const u of c.uses) columns[u] = values.get(u)!;
        values.set(c.name, toNumbers(c.expression.evaluate({ length: rows.length, time: rows.time, columns }), c.name));
      }
    }
    const columns: Record<string, Column> = {};
    for (const k of this.keep) {
      const col = rows.columns[k];
      if (col === undefined) throw new Error(`${spineName} has no column "${k}" (a key of the set, or a categorical input)`);
      columns[k] = col;
    }
    for (const name of this.plan.outputs) columns[name] = values.get(name)!;
    return { length: rows.length, time: rows.time, columns };
  }

  /**
   * Drop index rows no future spine row can read. The spine table comes out in time order, so future
   * rows come at or after the newest spine row seen, and the waiting ones at or after the oldest of
   * them (less the spine source's lateness, to be safe). Nothing is known before the first spine row.
   */
  private compact(): void {
    const floor = this.pending.length > 0 ? Math.min(this.pending[0]!.time[0]!, this.spineMax) : this.spineMax;
    if (floor === -Infinity) return;
    const lateness = this.compiled.config.sources[this.plan.spine.source]?.lateness ?? 0;
    for (const j of this.joins) {
      if (j.index.rows < this.compactAt) continue;
      j.index.compact(floor - lateness);
      this.compactAt = Math.max(this.compactAt, 2 * j.index.rows);
    }
  }
}

/** Batches concatenated into one when their columns share dictionaries (the usual case), else as they are. */
function joinable(parts: Batch[]): Batch[] {
  if (parts.length === 1) return parts;
  try {
    return [concatBatches(parts)];
  } catch {
    return parts;
  }
}

/** A numeric column as float64 (bools 0/1), nulls kept. */
function toNumbers(c: Column, name: string): NumberColumn {
  if (c.type === 'dictionary') throw new Error(`feature "${name}" is a string column; features are numbers`);
  if (c.type === 'float64' || c.type === 'int64' || c.type === 'timestamp') return c.validity === undefined ? { type: 'float64', values: c.values } : { type: 'float64', values: c.values, validity: c.validity };
  const values = Float64Array.from(c.values as ArrayLike<number>);
  return c.validity === undefined ? { type: 'float64', values } : { type: 'float64', values, validity: c.validity };
}
