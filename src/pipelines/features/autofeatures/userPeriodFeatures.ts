import { pipe, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import type { Column } from '../../data/column.js';
import type { Dictionary } from '../../data/dictionary.js';
import type { KeySpace } from '../../data/keySpace.js';
import { keyBy, type KeyedBatch } from '../../operators/keyBy.js';
import { statefulOperator, type StepState } from '../../operators/statefulOperator.js';
import type { StepContext } from '../../runtime/context.js';
import { durationParam, outputColumn, valid } from '../market/shared.js';
import { CountTable } from './countTable.js';
import { PeriodGrid, type Period } from './periods.js';

const histogramSpec = z
  .strictObject({
    column: z.string().describe('a categorical (string) column, such as event or attributes.page'),
    values: z.array(z.union([z.string(), z.number()])).min(1).max(100).optional().describe('the values that get a count column each; the rest count under __other__'),
    top: z.number().int().min(1).max(100).optional().describe('no values given: the first `top` distinct values this feature sees (in arrival order) get a column each, <column>_top1 ..'),
  })
  .refine((h) => h.values === undefined || h.top === undefined, 'give values or top, not both');

export const userPeriodParams = z
  .strictObject({
    period: z.enum(['day', 'week', 'month']).default('week').describe('day and week: epoch-aligned plus offset; month: calendar months of UTC dates (plus offset)'),
    offset: durationParam('offset', { positive: false }).prefault(0).describe('shift of the period edges: 4d makes weeks run Monday to Monday'),
    histograms: z.array(histogramSpec).default([]).describe('counts per value (top-k, the rest under __other__), count_distinct and mode'),
    distinct: z.array(z.string()).default([]).describe('categorical columns whose distinct values are counted per period'),
    numeric: z.array(z.string()).default([]).describe('numeric columns: sum, mean and std per period'),
    lags: z.number().int().min(0).max(12).default(0).describe('also output every column for the n previous periods, suffixed _1 .. _n'),
    where: z.string().optional().describe('only events for which this is true count (and make a key appear)'),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    for (const name of baseColumns(p)) {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [], message: `two outputs would be named "${name}": list a column once, and give values that differ after turning non-alphanumerics into _` });
      seen.add(name);
    }
  });

export type UserPeriodParams = z.infer<typeof userPeriodParams>;

/** A column or value as part of a column name: anything but letters, digits and _ becomes _. */
export function sanitize(s: string | number): string {
  return String(s).replace(/[^A-Za-z0-9_]/g, '_');
}

const DEFAULT_TOP = 10;

function slotCount(h: UserPeriodParams['histograms'][number]): number {
  return h.values?.length ?? h.top ?? DEFAULT_TOP;
}

/** The columns of one period row, before lags. */
export function baseColumns(p: Pick<UserPeriodParams, 'histograms' | 'distinct' | 'numeric'>): string[] {
  const out = ['count'];
  for (const h of p.histograms) {
    const c = sanitize(h.column);
    if (h.values !== undefined) for (const v of h.values) out.push(`${c}_${sanitize(v)}`);
    else for (let i = 1; i <= slotCount(h); i++) out.push(`${c}_top${i}`);
    out.push(`${c}___other__`, `${c}_count_distinct`, `${c}_mode`);
  }
  for (const d of p.distinct) out.push(`${sanitize(d)}_count_distinct`);
  for (const n of p.numeric) {
    const c = sanitize(n);
    out.push(`${c}_sum`, `${c}_mean`, `${c}_std`);
  }
  return out;
}

/** Every output column: the period's own, then the same for each lag i, suffixed _i. */
export function periodColumns(p: UserPeriodParams): string[] {
  const base = baseColumns(p);
  const out = [...base];
  for (let i = 1; i <= p.lags; i++) for (const b of base) out.push(`${b}_${i}`);
  return out;
}

/**
 * Drifto-style autofeatures: one row per key and period (day, week or calendar month) from the
 * period the key first appears in, empty periods included (counts and sums 0, means, stds and modes
 * null). Per period: `count` (events), per histogram column a count per value slot plus `___other__`,
 * `count_distinct` and `mode` (the slot number 1..k of the most frequent value, 0 when it is none of
 * the slots; ties go to the value first seen by the source), `count_distinct` of other categorical
 * columns, and sum, mean and std (n − 1) of numeric columns; plus each of them for the `lags` periods
 * before, suffixed `_1` .. (null before the key's first period).
 *
 * Periods are windows [start, end): they close when the source's watermark reaches their end (checked
 * row by row, so batch edges never change a result); an event whose period closed is late and goes to
 * the dead letters; when a bounded replay ends, every period up to the one holding the newest event is
 * emitted. A row's time is its period's end, `window_start` its start.
 *
 * @example
 * - name: user_weekly
 *   source: clickstream
 *   definition: user_period_features
 *   params:
 *     period: week
 *     offset: 4d                       # Monday to Monday
 *     histograms: [{ column: event, values: [page_view, search, add_to_cart, checkout] }, { column: attributes.page, top: 5 }]
 *     distinct: [session_id]
 *     lags: 2
 */
export const userPeriodFeatures = defineFeature<UserPeriodParams>({
  name: 'user_period_features',
  version: 1,
  doc: 'Per key and period (day, week, month): event counts, counts per value with __other__, count_distinct, mode, sum/mean/std and lags; a row for every period once the key appeared.',
  kind: 'windowed',
  params: userPeriodParams,
  inputs: (p) => [...p.histograms.map((h) => h.column), ...p.distinct, ...p.numeric],
  outputs: (p) => periodColumns(p).map((name) => ({ name, type: 'float64' as const })),
  // Unbounded: a key gets a row for every period from its first one on, lags reach back periods
  // before, and `top` histogram slots go to the first values ever seen.
  lookback: () => Infinity,
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    return pipe(
      keyBy(ctx.step('keys'), ctx.key),
      userPeriods(ctx.step('periods'), { period: p.period, offset: p.offset, histograms: p.histograms, distinct: p.distinct, numeric: p.numeric, lags: p.lags, lateness: ctx.source.lateness, columns: ctx.columns, ...(where && { where }) }),
    );
  },
});

export interface UserPeriodOptions {
  period: Period;
  offset: number;
  histograms: readonly { column: string; values?: readonly (string | number)[]; top?: number }[];
  distinct: readonly string[];
  numeric: readonly string[];
  lags: number;
  lateness: number;
  /** Output column names, in the order of `periodColumns`. */
  columns: readonly string[];
  where?: (b: Batch) => Uint8Array;
}

/** The sums of one open period: `W` numbers per key code, and the (key, column, code) counts. */
interface Block {
  idx: number;
  data: Float64Array;
  table: CountTable;
}

export function userPeriods(ctx: StepContext, opts: UserPeriodOptions): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, 'periods', () => new UserPeriodState(ctx, opts));
}

class UserPeriodState implements StepState<KeyedBatch, Batch> {
  private readonly grid: PeriodGrid;
  /** Per histogram: its value slots, and the offset of its slot counts in a key's block. */
  private readonly k: number[];
  private readonly hOff: number[] = [];
  private readonly nOff: number[] = [];
  /** Numbers per key in a block. */
  private readonly W: number;
  /** Base columns, and tracked (count-distinct) columns: histograms then `distinct`. */
  private readonly B: number;
  private readonly T: number;
  /** Per histogram: the dictionary code of each slot, -1 when not yet known (declared) or learned. */
  private slotCodes: Int32Array[];
  private blocks = new Map<number, Block>();
  /** Key codes with room in the per-key arrays and blocks. */
  private cap = 16;
  /** Per key code: the first period it appeared in (Infinity: not yet). */
  private firstIdx = new Float64Array(16).fill(Infinity);
  private anyFirst = Infinity;
  /** Per key: the base values of its last `lags` rows, newest first (NaN: null). */
  private lagBuf: Float64Array;
  private maxTime = -Infinity;
  /** Every period with a number below this has been emitted. */
  private closedIdx = -Infinity;
  private keySpace: KeySpace | undefined;
  /** Rows waiting to go out: key codes, period edges, and `columns.length` values a row. */
  private out = { key: [] as number[], start: [] as number[], end: [] as number[], data: new Float64Array(0), used: 0 };

  constructor(
    private readonly ctx: StepContext,
    private readonly opts: UserPeriodOptions,
  ) {
    this.grid = new PeriodGrid(opts.period, opts.offset);
    this.k = opts.histograms.map((h) => h.values?.length ?? h.top ?? DEFAULT_TOP);
    let w = 1;
    for (const k of this.k) {
      this.hOff.push(w);
      w += k + 1;
    }
    for (let n = 0; n < opts.numeric.length; n++) {
      this.nOff.push(w);
      w += 4;
    }
    this.W = w;
    this.B = 1 + this.k.reduce((s, k) => s + k + 3, 0) + opts.distinct.length + 3 * opts.numeric.length;
    this.T = opts.histograms.length + opts.distinct.length;
    if (opts.columns.length !== this.B * (1 + opts.lags)) throw new Error(`user_period_features needs ${this.B * (1 + opts.lags)} column names`);
    this.slotCodes = this.k.map((k) => new Int32Array(k).fill(-1));
    this.lagBuf = new Float64Array(this.cap * opts.lags * this.B).fill(NaN);
  }

  push(b: KeyedBatch): Batch | undefined {
    this.keySpace = b.keySpace;
    const { lateness, histograms, distinct, numeric } = this.opts;
    if (b.length > 0) {
      const mask = this.opts.where?.(b);
      const hist = histograms.map((h, j) => this.categorical(b, h.column, j));
      const dist = distinct.map((c) => this.categorical(b, c, -1));
      const nums = numeric.map((c) => {
        const col = b.columns[c];
        if (col === undefined) throw new Error(`column "${c}" is not in the batch`);
        if (col.type === 'dictionary') throw new Error(`column "${c}" is categorical; user_period_features numeric needs numbers`);
        return col;
      });
      for (let i = 0; i < b.length; i++) {
        const t = b.time[i]!;
        const watermark = this.maxTime - lateness;
        if (this.grid.index(watermark) > this.closedIdx) this.emitUpTo(this.grid.index(watermark));
        if (t > this.maxTime) this.maxTime = t;
        if (mask !== undefined && mask[i] === 0) continue;
        const key = b.keys[i]!;
        if (key < 0) {
          this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: 'null key: the key column is null' });
          continue;
        }
        const idx = this.grid.index(t);
        if (idx < this.closedIdx) {
          this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: `late: its period [${this.grid.start(idx)}, ${this.grid.start(idx + 1)}) closed` });
          continue;
        }
        if (key >= this.cap) this.grow(key + 1);
        if (idx < this.firstIdx[key]!) this.firstIdx[key] = idx;
        if (idx < this.anyFirst) this.anyFirst = idx;
        const block = this.blockOf(idx);
        const d = block.data;
        const o = key * this.W;
        d[o]!++;
        for (let h = 0; h < hist.length; h++) {
          const c = hist[h]!;
          if (!valid(c.validity, i)) continue;
          const code = c.codes[i]!;
          d[o + this.hOff[h]! + this.slotOf(h, code, c.slotMap)]!++;
          block.table.add(key, h, code);
        }
        for (let j = 0; j < dist.length; j++) {
          const c = dist[j]!;
          if (valid(c.validity, i)) block.table.add(key, hist.length + j, c.codes[i]!);
        }
        for (let n = 0; n < nums.length; n++) {
          const c = nums[n]!;
          const x = c.values[i]!;
          if (!valid(c.validity, i) || !Number.isFinite(x)) continue;
          const p = o + this.nOff[n]!;
          const cnt = ++d[p]!;
          d[p + 1]! += x;
          const delta = x - d[p + 2]!;
          d[p + 2]! += delta / cnt;
          d[p + 3]! += delta * (x - d[p + 2]!);
        }
      }
    }
    const watermark = Math.max(this.maxTime - lateness, b.watermark ?? -Infinity);
    // A watermark says the source has reached watermark + lateness, even where this operator saw no
    // event that late (an actor holding some keys only): the last period then closes where one
    // thread over all keys closes it.
    if (watermark + lateness > this.maxTime && watermark > -Infinity) this.maxTime = watermark + lateness;
    if (this.grid.index(watermark) > this.closedIdx) this.emitUpTo(this.grid.index(watermark));
    return this.out.key.length > 0 || b.watermark !== undefined ? this.take(watermark) : undefined;
  }

  finish(): Batch | undefined {
    if (this.maxTime > -Infinity) this.emitUpTo(this.grid.index(this.maxTime) + 1);
    return this.out.key.length > 0 ? this.take(Infinity) : undefined;
  }

  /**
   * A categorical column's codes, and for histogram `h` a code -> slot map for this batch (k: other).
   * Declared values are looked up in the dictionary every batch, so a value first seen later still counts.
   */
  private categorical(b: Batch, name: string, h: number): { codes: Int32Array; validity: Uint8Array | undefined; slotMap: Int32Array } {
    const col: Column | undefined = b.columns[name];
    if (col === undefined) throw new Error(`column "${name}" is not in the batch`);
    if (col.type !== 'dictionary') throw new Error(`column "${name}" is not categorical: user_period_features counts values of string columns`);
    if (h < 0) return { codes: col.codes, validity: col.validity, slotMap: new Int32Array(0) };
    const spec = this.opts.histograms[h]!;
    const codes = this.slotCodes[h]!;
    if (spec.values !== undefined) spec.values.forEach((v, s) => (codes[s] = lookup(col.dictionary, v)));
    const map = new Int32Array(col.dictionary.size).fill(this.k[h]!);
    for (let s = 0; s < codes.length; s++) if (codes[s]! >= 0 && codes[s]! < map.length) map[codes[s]!] = s;
    return { codes: col.codes, validity: col.validity, slotMap: map };
  }

  /** The slot of `code` in histogram `h`: learned values take free slots in the order they first arrive. */
  private slotOf(h: number, code: number, map: Int32Array): number {
    const k = this.k[h]!;
    const s = map[code]!;
    if (s < k || this.opts.histograms[h]!.values !== undefined) return s;
    const codes = this.slotCodes[h]!;
    for (let j = 0; j < k; j++) {
      if (codes[j] === -1) {
        codes[j] = code;
        map[code] = j;
        return j;
      }
    }
    return k;
  }

  private blockOf(idx: number): Block {
    let block = this.blocks.get(idx);
    if (block === undefined) {
      block = { idx, data: new Float64Array(this.cap * this.W), table: new CountTable() };
      this.blocks.set(idx, block);
    }
    return block;
  }

  private grow(n: number): void {
    let cap = this.cap;
    while (cap < n) cap *= 2;
    const first = new Float64Array(cap).fill(Infinity);
    first.set(this.firstIdx);
    this.firstIdx = first;
    const L = this.opts.lags * this.B;
    const lag = new Float64Array(cap * L).fill(NaN);
    lag.set(this.lagBuf);
    this.lagBuf = lag;
    for (const block of this.blocks.values()) {
      const data = new Float64Array(cap * this.W);
      data.set(block.data);
      block.data = data;
    }
    this.cap = cap;
  }

  /** Emit every period numbered below `target`, oldest first, keys in code order. */
  private emitUpTo(target: number): void {
    while (this.closedIdx < target) {
      if (this.closedIdx < this.anyFirst) {
        this.closedIdx = Math.min(target, this.anyFirst);
        continue;
      }
      this.emitPeriod(this.closedIdx);
      this.blocks.delete(this.closedIdx);
      this.closedIdx++;
    }
  }

  private emitPeriod(c: number): void {
    const { histograms, distinct, numeric, lags } = this.opts;
    const block = this.blocks.get(c);
    const { W, B, T } = this;
    // Distinct counts and modes per (key, tracked column), from the period's count table.
    const distinctN = new Float64Array(this.cap * T);
    const modeCode = new Int32Array(this.cap * T).fill(-1);
    const modeCount = new Float64Array(this.cap * T);
    block?.table.forEach((key, col, code, count) => {
      const j = key * T + col;
      distinctN[j]!++;
      if (count > modeCount[j]! || (count === modeCount[j]! && code < modeCode[j]!)) {
        modeCount[j] = count;
        modeCode[j] = code;
      }
    });
    const start = this.grid.start(c);
    const end = this.grid.start(c + 1);
    const base = new Float64Array(B);
    const L = lags * B;
    for (let key = 0; key < this.cap; key++) {
      if (!(this.firstIdx[key]! <= c)) continue;
      const d = block?.data;
      const o = key * W;
      let j = 0;
      const count = d === undefined ? 0 : d[o]!;
      base[j++] = count;
      for (let h = 0; h < histograms.length; h++) {
        const k = this.k[h]!;
        for (let s = 0; s <= k; s++) base[j++] = d === undefined ? 0 : d[o + this.hOff[h]! + s]!;
        base[j++] = distinctN[key * T + h]!;
        const m = modeCode[key * T + h]!;
        base[j++] = m < 0 ? NaN : this.slotCodes[h]!.indexOf(m) + 1;
      }
      for (let x = 0; x < distinct.length; x++) base[j++] = distinctN[key * T + histograms.length + x]!;
      for (let n = 0; n < numeric.length; n++) {
        const p = o + this.nOff[n]!;
        const cnt = d === undefined ? 0 : d[p]!;
        base[j++] = cnt === 0 ? 0 : d![p + 1]!;
        base[j++] = cnt === 0 ? NaN : d![p + 1]! / cnt;
        base[j++] = cnt < 2 ? NaN : Math.sqrt(Math.max(0, d![p + 3]!) / (cnt - 1));
      }
      this.out.key.push(key);
      this.out.start.push(start);
      this.out.end.push(end);
      const at = this.reserve(B + L);
      this.out.data.set(base, at);
      if (lags > 0) {
        const lo = key * L;
        this.out.data.set(this.lagBuf.subarray(lo, lo + L), at + B);
        this.lagBuf.copyWithin(lo + B, lo, lo + L - B);
        this.lagBuf.set(base, lo);
      }
    }
  }

  /** Room for `n` more output values; returns where they go. */
  private reserve(n: number): number {
    const out = this.out;
    if (out.used + n > out.data.length) {
      const grown = new Float64Array(Math.max(out.used + n, out.data.length * 2, 1024));
      grown.set(out.data.subarray(0, out.used));
      out.data = grown;
    }
    out.used += n;
    return out.used - n;
  }

  private take(watermark: number): Batch {
    const { key, start, end, data } = this.out;
    const n = key.length;
    const width = this.opts.columns.length;
    const columns: Record<string, Column> = {};
    if (this.keySpace !== undefined) Object.assign(columns, this.keySpace.decode(Int32Array.from(key)));
    columns.window_start = { type: 'timestamp', values: Float64Array.from(start) };
    this.opts.columns.forEach((name, j) => {
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) values[r] = data[r * width + j]!;
      columns[name] = outputColumn(values);
    });
    this.out = { key: [], start: [], end: [], data: new Float64Array(0), used: 0 };
    return { length: n, time: Float64Array.from(end), columns, watermark };
  }

  snapshot(): unknown {
    return {
      maxTime: this.maxTime,
      closedIdx: this.closedIdx,
      anyFirst: this.anyFirst,
      cap: this.cap,
      firstIdx: this.firstIdx.slice(),
      lagBuf: this.lagBuf.slice(),
      slotCodes: this.slotCodes.map((c) => c.slice()),
      blocks: [...this.blocks.values()].sort((a, b) => a.idx - b.idx).map((b) => ({ idx: b.idx, data: b.data.slice(), table: b.table.snapshot() })),
    };
  }

  restore(s: unknown): void {
    const snap = s as {
      maxTime: number;
      closedIdx: number;
      anyFirst: number;
      cap: number;
      firstIdx: Float64Array;
      lagBuf: Float64Array;
      slotCodes: Int32Array[];
      blocks: { idx: number; data: Float64Array; table: Parameters<typeof CountTable.restore>[0] }[];
    };
    this.maxTime = snap.maxTime;
    this.closedIdx = snap.closedIdx;
    this.anyFirst = snap.anyFirst;
    this.cap = snap.cap;
    this.firstIdx = snap.firstIdx.slice();
    this.lagBuf = snap.lagBuf.slice();
    this.slotCodes = snap.slotCodes.map((c) => c.slice());
    this.blocks = new Map(snap.blocks.map((b) => [b.idx, { idx: b.idx, data: b.data.slice(), table: CountTable.restore(b.table) }]));
  }
}

function lookup(dict: Dictionary, v: string | number): number {
  const c = dict.lookup(v);
  return c >= 0 ? c : dict.lookup(typeof v === 'number' ? String(v) : Number(v));
}
