/**
 * The aggregation operations a feature can name in `op:`. Each has a kernel in this folder;
 * this file only says what each needs, so that configs can be checked before anything runs.
 */
export interface OpInfo {
  /** Does the op read a value column? (`count` does not.) */
  readonly needsColumn: boolean;
  /** Which column kinds it accepts. */
  readonly accepts: 'numeric' | 'any';
  /** The value of an empty window when the feature gives no `default`: SQL's answer. */
  readonly empty: 0 | null;
  readonly doc: string;
}

export const OPS = {
  count: { needsColumn: false, accepts: 'any', empty: 0, doc: 'number of events (non-null values when a column is given)' },
  sum: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sum of the values' },
  mean: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'arithmetic mean' },
  variance: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample variance (n - 1); null below two values' },
  std: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample standard deviation; null below two values' },
  min: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'smallest value' },
  max: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'largest value' },
  first: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'value of the earliest event (ties: first to arrive)' },
  last: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'value of the latest event (ties: last to arrive)' },
  count_distinct: { needsColumn: true, accepts: 'any', empty: 0, doc: 'number of distinct non-null values' },
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPS;

export const OP_NAMES = Object.keys(OPS) as OpName[];

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}
