import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { ExpressionError, parseExpression } from '../../pipelines/expressions/index.js';
import { ConfigError } from '../../sdk/config/configError.js';
import type { LabelConfig } from '../../sdk/config/types.js';
import { spineKeys, type KeyMatcher, type SpineKeys } from './keyCodes.js';
import { groupLabelEvents, sweepEvents } from './labelEvents.js';
import { SWEEP_OPS, sweepAhead } from './labelSweep.js';
import { labelWindows } from './labelWindow.js';
import { aggregateAheadGrouped, type AheadResult } from './lookahead.js';

/** A label column: NaN under a cleared validity bit where null. */
export interface LabelColumn {
  values: Float64Array;
  validity: Uint8Array | undefined;
}

/**
 * The label of each spine row. The label's key columns are found in the spine by
 * name; the source's events pass `where`, and `op` runs over each row's window (`labelWindows`): by
 * one time sweep (`sweepAhead`) for count, sum, mean, first and last, else over the events grouped per
 * key (`aggregateAheadGrouped`). Then:
 * - `event_within` is 1 when the window holds an event, else 0;
 * - a window with no event takes `default` when the label has one;
 * - `expr` transforms `value` with the spine row's columns (`sign(value - mid)`); a bool result is 1/0.
 * Rows flagged in `unknown` (an inference set's rows whose window runs past the data) get null.
 * `keysFor` lets the caller share the spine's key codes and grouping with its feature joins.
 *
 * @example
 * const label = computeLabel(config.labels[0], spine, reports);
 * label.values; // Float64Array, one label per spine row
 * @throws ConfigError, located at the label, when its key is not in the spine or `where`/`expr` do not type-check
 */
export function computeLabel(
  label: LabelConfig,
  spine: Batch,
  events: Batch,
  unknown?: Uint8Array,
  spineName = 'the spine',
  keysFor: (columns: readonly string[]) => SpineKeys = (columns) => spineKeys(columns, spine),
): LabelColumn {
  const prepared = prepareLabel(label, spine, events, spineName, keysFor);
  return finishLabel(label, spine, labelAhead(label, spine, events, prepared, keysFor), unknown, spineName);
}

/** What `computeLabel` checks and computes before the look-ahead: the label's `where` over its events, and its key space. */
export interface PreparedLabel {
  where: Uint8Array | undefined;
  keys: KeyMatcher;
  /** How errors name the label source. */
  what: string;
}

/**
 * The label's checks (its key columns are spine columns, `where` type-checks) and its `where` mask.
 * @throws ConfigError, located at the label
 */
export function prepareLabel(
  label: LabelConfig,
  spine: Batch,
  events: Batch,
  spineName: string,
  keysFor: (columns: readonly string[]) => SpineKeys,
): PreparedLabel {
  const fail = (path: string, message: string): never => {
    throw new ConfigError([{ ...label.at, path: `${label.at.path}${path}`, message }]);
  };
  for (const k of label.key) {
    if (!(k in spine.columns)) {
      fail('.key', `label "${label.name}" matches on "${k}", which ${spineName} does not have; its columns are ${Object.keys(spine.columns).join(', ')}`);
    }
  }
  let where: Uint8Array | undefined;
  if (label.where !== undefined && events.length > 0) {
    try {
      where = parseExpression(label.where).evaluatePredicate(events);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      fail('.where', err.message);
    }
  }
  return { where, keys: keysFor(label.key).keys, what: `label source "${label.source}"` };
}

/**
 * The op over each row's window, on one thread: count, sum, mean, first, last by one sweep over rows
 * and events in time order; the rest, or rows out of time order, over the events grouped per key,
 * each key's rows merged with them. (The parallel assembler runs the sweep by time range instead.)
 */
export function labelAhead(
  label: LabelConfig,
  spine: Batch,
  events: Batch,
  prepared: PreparedLabel,
  keysFor: (columns: readonly string[]) => SpineKeys,
): AheadResult {
  const { keys, where, what } = prepared;
  let ahead: AheadResult | undefined;
  if (SWEEP_OPS.has(label.op)) {
    const w = labelWindows(label, spine.time);
    ahead = sweepAhead(label.op, sweepEvents(label.op, label.column, events, keys, where, what), keys.spineCodes, w.from, w.to, keys.size);
  }
  return ahead ?? groupedAhead(label, spine, events, prepared, keysFor);
}

/** The op over each row's window, from the events grouped per key: every op, rows in any order. */
export function groupedAhead(
  label: LabelConfig,
  spine: Batch,
  events: Batch,
  prepared: PreparedLabel,
  keysFor: (columns: readonly string[]) => SpineKeys,
): AheadResult {
  const { keys, where, what } = prepared;
  const grouped = groupLabelEvents(label.op, label.column, events, keys, where, what);
  const groups = keysFor(label.key).groups();
  // Windows by position in the key groups, from the grouped times: read in order, not by row.
  const windows = labelWindows(label, groups.times);
  return aggregateAheadGrouped(label.op, grouped, groups, windows.from, windows.to, spine.length);
}

/**
 * From the look-ahead to the label: `event_within`, `default`, `expr`, and null for the `unknown`
 * rows. `ahead`'s arrays are updated in place.
 * @throws ConfigError, located at the label, when `expr` does not type-check or gives a string
 */
export function finishLabel(label: LabelConfig, spine: Batch, ahead: AheadResult, unknown: Uint8Array | undefined, spineName: string): LabelColumn {
  const fail = (path: string, message: string): never => {
    throw new ConfigError([{ ...label.at, path: `${label.at.path}${path}`, message }]);
  };
  const n = spine.length;
  let { values, validity } = ahead;
  if (label.kind === 'event_within') {
    for (let i = 0; i < n; i++) values[i] = ahead.counts[i]! > 0 ? 1 : 0;
  } else if (label.default !== undefined) {
    for (let i = 0; i < n; i++) {
      if (ahead.counts[i] !== 0) continue;
      values[i] = label.default;
      if (validity !== undefined) validity[i >> 3]! |= 1 << (i & 7);
    }
  }
  if (label.expr !== undefined) {
    // `value` is the looked-ahead value; it shadows a spine column of that name.
    const value: Column = validity === undefined ? { type: 'float64', values } : { type: 'float64', values, validity };
    let out: Column;
    try {
      out = parseExpression(label.expr).evaluate({ length: n, time: spine.time, columns: { ...spine.columns, value } });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      return fail('.expr', `${err.message} (expr reads \`value\` and the columns of ${spineName})`);
    }
    if (out.type === 'dictionary') return fail('.expr', 'a label is a number or a bool, and this expression gives a string');
    values = out.type === 'float64' ? Float64Array.from(out.values) : Float64Array.from(out.values as ArrayLike<number>);
    validity = out.validity?.slice();
    if (validity !== undefined) for (let i = 0; i < n; i++) if (((validity[i >> 3]! >> (i & 7)) & 1) === 0) values[i] = NaN;
  }
  if (unknown !== undefined) {
    for (let i = 0; i < n; i++) {
      if (unknown[i] !== 1) continue;
      validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
      values[i] = NaN;
    }
  }
  return { values, validity };
}
