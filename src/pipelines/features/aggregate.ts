import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature, type FeatureLookback, type LookbackContext } from '../../sdk/defineFeature.js';
import { windowLabel } from '../../sdk/config/featureColumns.js';
import { MAX_K, OP_NAMES, opNameOf, opParam, opOutputParts, opSpec, type OpName, type OpRef } from '../aggregations/catalog.js';
import { keyBy } from '../operators/keyBy.js';
import { sessionAggregate } from '../operators/sessionAggregate.js';
import { slidingAggregate } from '../operators/slidingAggregate.js';
import { windowAggregate } from '../operators/windowAggregate.js';

const windowSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sliding'),
    size: z.number().positive().or(z.custom<number>((v) => v === Infinity)),
    inclusive: z.boolean(),
    bucket: z.number().positive().optional().describe('materialized buckets, ms: keep a summary per bucket instead of every event'),
  }),
  z.strictObject({ type: z.literal('tumbling'), size: z.number().positive(), offset: z.number() }),
  z.strictObject({ type: z.literal('hopping'), size: z.number().positive(), every: z.number().positive(), offset: z.number() }),
  z.strictObject({ type: z.literal('session'), gap: z.number().positive() }),
]);

const opName = z.enum(OP_NAMES as [string, ...string[]]);
const quantile = z.number().min(0).max(1);

/** An op with its parameters; each op takes exactly the parameters it needs. */
const opWithParams = z
  .strictObject({
    op: opName,
    k: z.number().int().min(1).max(MAX_K).optional().describe('first_k, last_k, top_k, bottom_k: how many values'),
    percentile: quantile.optional().describe('approx_percentile: one percentile in [0, 1]'),
    percentiles: z.array(quantile).min(1).optional().describe('approx_percentile: several, a column each'),
    values: z.array(z.union([z.string(), z.number()])).optional().describe('histogram: a column per value, plus ___other__'),
    top: z.number().int().min(1).max(MAX_K).optional().describe('histogram: the largest counts, plus ___other__'),
  })
  .superRefine((s, ctx) => {
    const param = opParam(s.op as OpName);
    const given = (['k', 'percentile', 'percentiles', 'values', 'top'] as const).filter((p) => s[p] !== undefined);
    const allowed = param === 'k' ? ['k'] : param === 'percentile' ? ['percentile', 'percentiles'] : param === 'histogram' ? ['values', 'top'] : [];
    for (const p of given) if (!allowed.includes(p)) ctx.addIssue({ code: 'custom', path: [p], message: `op ${s.op} takes no ${p}` });
    if (param === 'k' && s.k === undefined) ctx.addIssue({ code: 'custom', path: ['k'], message: `op ${s.op} needs k` });
    if (param !== undefined && param !== 'k' && given.filter((p) => allowed.includes(p)).length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `op ${s.op} needs exactly one of ${allowed.join(' or ')}` });
    }
  });

export const aggregateParams = z
  .strictObject({
    ops: z
      .array(z.union([opName, opWithParams]))
      .min(1)
      .refine((ops) => ops.every((o) => typeof o !== 'string' || opParam(o as OpName) === undefined), 'an op with parameters (first_k, histogram...) is written as { op, k } etc.')
      .describe('aggregations to compute: a name, or { op, ...params } for first_k, last_k, top_k, bottom_k, histogram, approx_percentile'),
    opsListed: z.boolean().default(false).describe('suffix columns with the op'),
    column: z.string().optional().describe('value column; none to count events'),
    windows: z.array(windowSpec).min(1).describe('one non-sliding window, or sliding windows'),
    windowsListed: z.boolean().default(false).describe('suffix columns with the window'),
    by: z.string().optional().describe('a second grouping column'),
    where: z.string().optional().describe('only events for which this is true contribute'),
    default: z.number().optional().describe('value of an empty window'),
  })
  .refine((p) => p.windows.length === 1 || p.windows.every((w) => w.type === 'sliding'), 'several windows must all be sliding')
  .refine((p) => new Set(p.windows.map((w) => (w.type === 'sliding' ? w.bucket : undefined))).size === 1, 'the sliding windows of a feature share one bucket');

export type AggregateParams = z.infer<typeof aggregateParams>;

/** One output op per (window, op), with the names of its columns (relative to the feature's name). */
function outputNames(p: AggregateParams): { names: string[]; op: OpRef; window: AggregateParams['windows'][number] }[] {
  return p.windows.flatMap((window) =>
    (p.ops as OpRef[]).map((op) => ({
      names: opOutputParts(op).map((part) => [p.opsListed ? opNameOf(op) : '', part, p.windowsListed ? windowLabel(window) : ''].filter(Boolean).join('_')),
      op,
      window,
    })),
  );
}

/** Ops whose sliding kernels keep running sums (added on enter, subtracted on leave): results carry rounding from earlier events. */
const RUNNING_SUM_OPS: ReadonlySet<OpName> = new Set<OpName>(['sum', 'mean', 'variance', 'std', 'skew', 'kurtosis']);

/**
 * How far back an aggregate's state reaches (see `FeatureDefinition.lookback`):
 * - sliding windows: the longest window (plus one bucket when bucketed: the lower edge is rounded
 *   down to a bucket edge); running-sum ops (sum, mean, variance, std, skew, kurtosis) carry
 *   rounding from earlier events. Bucketed approx_percentile is unbounded: its KLL summaries are
 *   merged in groups that depend on when the window's queue last flipped, so its value (not only
 *   its last bits) depends on the history;
 * - tumbling and hopping windows: the window size (each window's panes start from nothing), when
 *   the rows of a window come out in an order that does not depend on the history: grouping by
 *   the key and `by` must number groups stably, else unbounded;
 * - session windows: unbounded (a session lasts as long as its events keep coming).
 */
export function aggregateLookback(p: AggregateParams, ctx: LookbackContext): FeatureLookback {
  const first = p.windows[0]!;
  if (first.type === 'session') return { ms: Infinity };
  if (first.type === 'tumbling' || first.type === 'hopping') {
    const groups = p.by === undefined ? ctx.key : [...ctx.key, p.by];
    return { ms: ctx.stableGroups(groups) ? first.size : Infinity };
  }
  const ops = (p.ops as OpRef[]).map(opNameOf);
  const bucket = first.bucket;
  if (bucket !== undefined && ops.includes('approx_percentile')) return { ms: Infinity };
  const longest = Math.max(...p.windows.map((w) => (w as { size: number }).size));
  return { ms: longest + (bucket ?? 0), rounding: p.column !== undefined && ops.some((o) => RUNNING_SUM_OPS.has(o)) };
}

/**
 * The built-in windowed aggregation behind every `op:` feature in a config: key the events, then
 * aggregate them in sliding windows (read at every event), or in tumbling, hopping or session
 * windows (emitted when they close).
 */
export const aggregate = defineFeature<AggregateParams>({
  name: 'aggregate',
  version: 1,
  doc: `Aggregations (${OP_NAMES.join(', ')}) of a column per key in sliding, tumbling, hopping or session windows.`,
  kind: (p) => (p.windows[0]!.type === 'sliding' ? 'pointInTime' : 'windowed'),
  params: aggregateParams,
  inputs: (p) => [p.column, p.by].filter((c): c is string => c !== undefined),
  outputs: (p) =>
    outputNames(p).flatMap((o) => o.names.map((name) => ({ name, type: 'float64' as const, doc: `${opNameOf(o.op)} over ${windowLabel(o.window)}` }))),
  lookback: aggregateLookback,
  build(p, ctx) {
    const keys = keyBy(ctx.step('keys'), p.by === undefined ? ctx.key : [...ctx.key, p.by]);
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    const common = { ...(p.column !== undefined && { valueColumn: p.column }), ...(where && { where }) };
    let at = 0;
    const named = outputNames(p).map((o) => {
      const columns = ctx.columns.slice(at, at + o.names.length);
      at += o.names.length;
      return { ...opSpec(o.op), window: o.window, column: columns[0]!, columns };
    });
    const first = p.windows[0]!;
    const withDefault = <T>(o: T) => ({ ...o, ...(p.default !== undefined && { default: p.default }) });
    if (first.type === 'sliding') {
      return pipe(
        keys,
        slidingAggregate(ctx.step('sliding'), {
          ...common,
          inclusive: first.inclusive,
          ...(first.bucket !== undefined && { bucket: first.bucket }),
          outputs: named.map(({ window, ...o }) => withDefault({ ...o, size: (window as { size: number }).size })),
        }),
      );
    }
    const outputs = named.map(({ window: _window, ...o }) => withDefault(o));
    const lateness = ctx.source.lateness;
    if (first.type === 'session') return pipe(keys, sessionAggregate(ctx.step('sessions'), { ...common, gap: first.gap, lateness, outputs }));
    const every = first.type === 'hopping' ? first.every : first.size;
    return pipe(keys, windowAggregate(ctx.step('windows'), { ...common, size: first.size, every, offset: first.offset, lateness, outputs }));
  },
});
