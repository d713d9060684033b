import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../sdk/defineFeature.js';
import { windowLabel } from '../../sdk/config/featureColumns.js';
import { OP_NAMES } from '../aggregations/catalog.js';
import { keyBy } from '../operators/keyBy.js';
import { sessionAggregate } from '../operators/sessionAggregate.js';
import { slidingAggregate } from '../operators/slidingAggregate.js';
import { windowAggregate } from '../operators/windowAggregate.js';

const windowSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('sliding'), size: z.number().positive().or(z.custom<number>((v) => v === Infinity)), inclusive: z.boolean() }),
  z.strictObject({ type: z.literal('tumbling'), size: z.number().positive(), offset: z.number() }),
  z.strictObject({ type: z.literal('hopping'), size: z.number().positive(), every: z.number().positive(), offset: z.number() }),
  z.strictObject({ type: z.literal('session'), gap: z.number().positive() }),
]);

export const aggregateParams = z
  .strictObject({
    ops: z.array(z.enum(OP_NAMES as [string, ...string[]])).min(1).describe('aggregations to compute'),
    opsListed: z.boolean().default(false).describe('suffix columns with the op'),
    column: z.string().optional().describe('value column; none to count events'),
    windows: z.array(windowSpec).min(1).describe('one non-sliding window, or sliding windows'),
    windowsListed: z.boolean().default(false).describe('suffix columns with the window'),
    by: z.string().optional().describe('a second grouping column'),
    where: z.string().optional().describe('only events for which this is true contribute'),
    default: z.number().optional().describe('value of an empty window'),
  })
  .refine((p) => p.windows.length === 1 || p.windows.every((w) => w.type === 'sliding'), 'several windows must all be sliding');

export type AggregateParams = z.infer<typeof aggregateParams>;

function outputNames(p: AggregateParams): { name: string; op: string; window: AggregateParams['windows'][number] }[] {
  return p.windows.flatMap((window) =>
    p.ops.map((op) => ({ name: [p.opsListed ? op : '', p.windowsListed ? windowLabel(window) : ''].filter(Boolean).join('_'), op, window })),
  );
}

/**
 * The built-in windowed aggregation behind every `op:` feature in a config: key the events, then
 * aggregate them in sliding windows (read at every event), or in tumbling, hopping or session
 * windows (emitted when they close).
 */
export const aggregate = defineFeature<AggregateParams>({
  name: 'aggregate',
  version: 1,
  doc: 'Aggregations (count, sum, mean, variance, std, min, max, first, last, count_distinct) of a column per key in sliding, tumbling, hopping or session windows.',
  kind: (p) => (p.windows[0]!.type === 'sliding' ? 'pointInTime' : 'windowed'),
  params: aggregateParams,
  inputs: (p) => [p.column, p.by].filter((c): c is string => c !== undefined),
  outputs: (p) => outputNames(p).map((o) => ({ name: o.name, type: 'float64' as const, doc: `${o.op} over ${windowLabel(o.window)}` })),
  build(p, ctx) {
    const keys = keyBy(ctx.step('keys'), p.by === undefined ? ctx.key : [...ctx.key, p.by]);
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    const common = { ...(p.column !== undefined && { valueColumn: p.column }), ...(where && { where }) };
    const named = outputNames(p).map((o, i) => ({ ...o, column: ctx.columns[i]! }));
    const first = p.windows[0]!;
    const withDefault = <T>(o: T) => ({ ...o, ...(p.default !== undefined && { default: p.default }) });
    if (first.type === 'sliding') {
      return pipe(
        keys,
        slidingAggregate(ctx.step('sliding'), {
          ...common,
          inclusive: first.inclusive,
          outputs: named.map((o) => withDefault({ column: o.column, op: o.op as never, size: (o.window as { size: number }).size })),
        }),
      );
    }
    const outputs = named.map((o) => withDefault({ column: o.column, op: o.op as never }));
    const lateness = ctx.source.lateness;
    if (first.type === 'session') return pipe(keys, sessionAggregate(ctx.step('sessions'), { ...common, gap: first.gap, lateness, outputs }));
    const every = first.type === 'hopping' ? first.every : first.size;
    return pipe(keys, windowAggregate(ctx.step('windows'), { ...common, size: first.size, every, offset: first.offset, lateness, outputs }));
  },
});
