/**
 * Op parameters in configs (k, percentile(s), values, top): accepted where an op needs them, with
 * located errors (line:column path: message) when missing, malformed or given to no op; and the
 * column names they produce, through the compiled feature set.
 */
import { describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { featureColumnNames } from '../../../src/sdk/config/featureColumns.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';

const HEAD = `name: ops
sources:
  txns:
    time: ts
    keys: [card_id]
    columns: { card_id: string, amount: float64, page: string }
features:
`;

/** A config with one feature whose body (after `- name: f`) is `lines`; its `- name` is line 8. */
function config(...lines: string[]): string {
  return HEAD + ['  - name: f', '    source: txns', ...lines.map((l) => `    ${l}`)].join('\n') + '\n';
}

function problems(text: string): string[] {
  try {
    parseConfig(text, { file: 'x.yaml' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  return [];
}

function columns(text: string): string[] {
  const cfg = parseConfig(text, { file: 'x.yaml' });
  const fromConfig = cfg.features.flatMap(featureColumnNames);
  const compiled = compileFeatureSet(cfg, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
  const fromNodes = compiled.nodes.flatMap((n) => n.names.flatMap((name) => [...n.columns.get(name)!]));
  // The names normalize checks collisions with are the names the compiled pipeline writes.
  expect(fromNodes).toEqual(fromConfig);
  return fromConfig;
}

describe('op parameters in configs', () => {
  it('accepts each op with its parameters and names the columns', () => {
    expect(columns(config('op: top_k', 'k: 3', 'column: amount', 'window: 1h'))).toEqual(['f_1', 'f_2', 'f_3']);
    expect(columns(config('ops: [first_k, last_k, sum]', 'k: 2', 'column: amount', 'windows: [1h, 1d]'))).toEqual([
      'f_first_k_1_1h',
      'f_first_k_2_1h',
      'f_last_k_1_1h',
      'f_last_k_2_1h',
      'f_sum_1h',
      'f_first_k_1_1d',
      'f_first_k_2_1d',
      'f_last_k_1_1d',
      'f_last_k_2_1d',
      'f_sum_1d',
    ]);
    expect(columns(config('op: approx_percentile', 'percentile: 0.9', 'column: amount'))).toEqual(['f']);
    expect(columns(config('op: approx_percentile', 'percentiles: [0.5, 0.9, 0.999]', 'column: amount'))).toEqual(['f_p50', 'f_p90', 'f_p99_9']);
    expect(columns(config('op: histogram', 'values: [home, /bug, 3]', 'column: page', 'window: { tumbling: 1d }'))).toEqual(['f_home', 'f__bug', 'f_3', 'f___other__']);
    expect(columns(config('op: histogram', 'top: 2', 'column: page', 'window: { session: 30m }'))).toEqual(['f_1', 'f_2', 'f___other__']);
    expect(columns(config('ops: [approx_count_distinct, skew, kurtosis]', 'column: amount', 'window: { hopping: 1h, every: 10m }'))).toEqual([
      'f_approx_count_distinct',
      'f_skew',
      'f_kurtosis',
    ]);
    // A string column takes count_distinct-like ops only.
    expect(columns(config('op: approx_count_distinct', 'column: page'))).toEqual(['f']);
  });

  it('keeps the identity of features without op parameters (ops stay bare names)', () => {
    const cfg = parseConfig(config('ops: [sum, skew]', 'column: amount'), { file: 'x.yaml' });
    expect(cfg.features[0]).toMatchObject({ ops: ['sum', 'skew'] });
    const withK = parseConfig(config('ops: [sum, top_k]', 'k: 4', 'column: amount'), { file: 'x.yaml' });
    expect(withK.features[0]).toMatchObject({ ops: ['sum', { op: 'top_k', k: 4 }] });
  });

  it('reports missing parameters at the feature', () => {
    expect(problems(config('op: top_k', 'column: amount'))).toEqual(['8:5 features[0]: op "top_k" needs k: add k: <how many values>, e.g. k: 3']);
    expect(problems(config('op: approx_percentile', 'column: amount'))).toEqual([
      '8:5 features[0]: op "approx_percentile" needs percentile: <fraction>, e.g. percentile: 0.9 (or percentiles: [0.5, 0.9])',
    ]);
    expect(problems(config('op: histogram', 'column: page'))).toEqual(['8:5 features[0]: op "histogram" needs values: [a, b, ...] (a count column each, plus ___other__) or top: <n>']);
  });

  it('reports bad parameters at the parameter', () => {
    expect(problems(config('op: top_k', 'k: 0', 'column: amount'))).toEqual(['11:8 features[0].k: k must be a whole number from 1 to 100, not 0']);
    expect(problems(config('op: last_k', 'k: 2.5', 'column: amount'))).toEqual(['11:8 features[0].k: k must be a whole number from 1 to 100, not 2.5']);
    expect(problems(config('op: first_k', 'k: three', 'column: amount'))).toEqual([expect.stringMatching(/^11:8 features\[0\]\.k: .*number/)]);
    expect(problems(config('op: approx_percentile', 'percentile: 90', 'column: amount'))).toEqual([
      '11:17 features[0].percentile: a percentile is a fraction from 0 to 1 (0.9, not 90), not 90',
    ]);
    expect(problems(config('op: approx_percentile', 'percentiles: [0.5, 1.5]', 'column: amount'))).toEqual([
      '11:24 features[0].percentiles[1]: a percentile is a fraction from 0 to 1 (0.9, not 90), not 1.5',
    ]);
    expect(problems(config('op: approx_percentile', 'percentiles: [0.5, 0.5]', 'column: amount'))).toEqual(['11:24 features[0].percentiles[1]: percentile 0.5 is listed twice']);
    expect(problems(config('op: approx_percentile', 'percentile: 0.5', 'percentiles: [0.9]', 'column: amount'))).toEqual([
      '12:18 features[0].percentiles: give percentile or percentiles, not both',
    ]);
    expect(problems(config('op: histogram', 'top: 0', 'column: page'))).toEqual(['11:10 features[0].top: top must be a whole number from 1 to 100, not 0']);
    expect(problems(config('op: histogram', 'values: [a, b]', 'top: 2', 'column: page'))).toEqual(['12:10 features[0].top: give values or top, not both']);
    expect(problems(config('op: histogram', 'values: [a b, a_b]', 'column: page'))).toEqual(['11:19 features[0].values[1]: values "a b" and "a_b" both name the column suffix "a_b"']);
    expect(problems(config('op: histogram', 'values: [x, __other__]', 'column: page'))).toEqual(['11:17 features[0].values[1]: "__other__" would name the column of the other values (__other__)']);
    expect(problems(config('op: histogram', 'values: [1, two]', 'column: amount'))).toEqual(['11:17 features[0].values[1]: "two" is not a number, and column "amount" is numeric']);
  });

  it('reports parameters that no op of the feature takes, and ops that need numbers', () => {
    expect(problems(config('op: sum', 'k: 3', 'column: amount'))).toEqual(['11:8 features[0].k: k is a parameter of first_k, last_k, top_k, bottom_k, and this feature has none of them']);
    expect(problems(config('op: top_k', 'k: 3', 'top: 3', 'column: amount'))).toEqual(['12:10 features[0].top: top is a parameter of histogram, and this feature has none of them']);
    expect(problems(config('op: kurtosis', 'column: page'))).toEqual(['11:13 features[0].column: op "kurtosis" needs a numeric column, and "page" is a string']);
    expect(problems(config('op: skwe', 'column: amount'))[0]).toMatch(/^10:9 features\[0\]\.op: unknown op "skwe"; did you mean "skew"\?/);
  });

  it('keeps labels to the ops their lookahead kernel has', () => {
    const text =
      config('op: sum', 'column: amount') +
      ['labels:', '  - name: l', '    source: txns', '    kind: lookahead', '    op: top_k', '    column: amount', '    horizon: 1h', ''].join('\n');
    expect(problems(text)).toEqual([expect.stringMatching(/^16:9 labels\[0\]\.op: op "top_k" is not available for labels; labels take count, sum/)]);
  });
});
