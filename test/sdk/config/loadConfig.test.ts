import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { loadConfig, parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { tempDir } from '../../helpers/tables.js';

const GOOD = `name: pay
sources:
  txns:
    time: ts
    keys: [card_id]
    lateness: 1h30m
    columns: { card_id: string, amount: float64, status: string }
features:
  - name: spend
    source: txns
    op: sum
    column: amount
    windows: [30d, 90d]
    default: 0
  - name: declines
    source: txns
    op: count
    where: "status == 'declined'"
    window: { tumbling: 1d, offset: 2h }
`;

/** The problems of a config, as "line:column path: message" strings. */
function problems(text: string): string[] {
  try {
    parseConfig(text, { file: 'x.yaml' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  return [];
}

describe('loadConfig', () => {
  it('normalises a valid config: durations in ms, default key, window specs', () => {
    const c = parseConfig(GOOD);
    expect(c.sources.txns!.lateness).toBe(5_400_000);
    const spend = c.features[0]!;
    expect(spend).toMatchObject({ kind: 'aggregate', key: ['card_id'], ops: ['sum'], windowsListed: true, default: 0 });
    expect(spend.kind === 'aggregate' && spend.windows.map((w) => w.type === 'sliding' && w.size)).toEqual([30 * 86_400_000, 90 * 86_400_000]);
    expect(c.features[1]).toMatchObject({ windows: [{ type: 'tumbling', size: 86_400_000, offset: 7_200_000 }] });
    expect(c.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads a file and names it in errors', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'typo.yaml');
    writeFileSync(file, GOOD.replace('op: sum', 'op: summ'));
    try {
      expect(() => loadConfig(file)).toThrow(`${file}:11:9 features[0].op: unknown op "summ"; did you mean "sum"?`);
    } finally {
      tmp.remove();
    }
  });

  it('reports a missing file as a config error, not a crash', () => {
    expect(() => loadConfig('/nonexistent/x.yaml')).toThrow(ConfigError);
  });

  it('reports malformed YAML with its line', () => {
    expect(problems('name: x\nsources: [\n  a: 1\n')).toEqual([expect.stringMatching(/^\d+:\d+ \(yaml\): /)]);
  });

  it('rejects unknown keys with the closest valid name', () => {
    expect(problems(GOOD.replace('lateness:', 'latenes:'))).toEqual(['6:5 sources.txns.latenes: unknown key "latenes"; did you mean "lateness"?']);
    expect(problems(GOOD.replace('    default: 0', '    defualt: 0'))).toEqual(['14:5 features[0].defualt: unknown key "defualt"; did you mean "default"?']);
  });

  it('rejects unknown ops, sources, columns and types with suggestions', () => {
    expect(problems(GOOD.replace('source: txns\n    op: sum', 'source: txn\n    op: sum'))).toEqual(['10:13 features[0].source: unknown source "txn"; did you mean "txns"?']);
    expect(problems(GOOD.replace('column: amount', 'column: amout'))).toEqual(['12:13 features[0].column: unknown column "amout" in source "txns"; did you mean "amount"?']);
    expect(problems(GOOD.replace('amount: float64', 'amount: flaot64'))).toEqual([
      '7:41 sources.txns.columns.amount: "flaot64" is not one of float64, int64, int32, bool, timestamp, string; did you mean "float64"?',
    ]);
  });

  it('rejects wrong durations, naming the place and the expected form', () => {
    expect(problems(GOOD.replace('[30d, 90d]', '[30d, 90 days]'))).toEqual([
      '13:20 features[0].windows[1]: "90 days" is not a duration: write a number and a unit (ms, s, m, h, d, w), e.g. 10m, 1h30m, 90d',
    ]);
    expect(problems(GOOD.replace('lateness: 1h30m', 'lateness: 90'))[0]).toMatch(/^6:15 sources.txns.lateness: expected a duration/);
  });

  it('requires the time column and a column for ops that need one', () => {
    expect(problems(GOOD.replace('    time: ts\n', ''))).toEqual(['3:3 sources.txns: "time" is required']);
    expect(problems(GOOD.replace('    column: amount\n', ''))).toEqual(['9:5 features[0]: op "sum" needs a column: add column: <name>']);
    expect(problems(GOOD.replace('column: amount', 'column: status'))).toEqual(['12:13 features[0].column: op "sum" needs a numeric column, and "status" is a string']);
  });

  it('reports expression syntax errors at the expression', () => {
    const [p] = problems(GOOD.replace(`"status == 'declined'"`, `"status == 'declined' and"`));
    expect(p).toMatch(/^18:12 features\[1\]\.where: unexpected end of expression/);
  });

  it('collects every problem at once', () => {
    const bad = GOOD.replace('op: sum', 'op: summ').replace('lateness:', 'latenes:').replace('[30d, 90d]', '[30x]');
    expect(problems(bad)).toHaveLength(3);
  });

  it('rejects duplicate feature names and colliding columns', () => {
    const dup = GOOD.replace('name: declines', 'name: spend');
    expect(problems(dup).some((p) => p.includes('feature "spend" is already defined'))).toBe(true);
    const hides = GOOD.replace('name: declines', 'name: amount');
    expect(problems(hides).some((p) => p.includes('would hide the source column'))).toBe(true);
    const hidesComputed = GOOD.replace('columns: {', 'derive: { cents: "amount * 100" }\n    columns: {').replace('name: declines', 'name: cents');
    expect(problems(hidesComputed).some((p) => p.includes('column "cents" would hide the source column'))).toBe(true);
  });

  it('rejects windows that do not make sense', () => {
    expect(problems(GOOD.replace('{ tumbling: 1d, offset: 2h }', '{ hopping: 1h, every: 2h }'))).toEqual(['19:35 features[1].window.every: a hopping window must advance by no more than its size']);
    expect(problems(GOOD.replace('{ tumbling: 1d, offset: 2h }', '{ rolling: 1h }'))[0]).toMatch(/^19:\d+ features\[1\]\.window/);
    expect(problems(GOOD.replace('[30d, 90d]', '[0s]'))).toEqual(['13:15 features[0].windows[0]: a window must be longer than 0']);
  });
});
