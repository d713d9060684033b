import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { labelCommand } from '../../../src/cli/commands/label.js';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { tempDir } from '../../helpers/tables.js';

const tmp = tempDir('tributary-label-cli-');
afterAll(() => tmp.remove());

const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
writeFileSync(join(tmp.dir, 'orders.csv'), ['t,user,amount', ...rows(200, (i) => `${i * 1000},u${i % 7},${(i * 37) % 100}`)].join('\n'));
writeFileSync(join(tmp.dir, 'returns.csv'), ['t,user', ...rows(40, (i) => `${i * 5000 + 1500},u${(i * 3) % 7}`)].join('\n'));
const CONFIG = `name: shop
data_dir: state
sources:
  orders: { path: orders.csv, time: t, time_format: epoch_ms, keys: [user], columns: { user: string, amount: float64 } }
  returns: { path: returns.csv, time: t, time_format: epoch_ms, keys: [user], columns: { user: string } }
features:
  - { name: spend_1m, source: orders, op: sum, column: amount, window: 1m, default: 0 }
  - { name: returns_1m, source: returns, op: count, window: 1m, default: 0 }
labels:
  - { name: returned, source: returns, kind: event_within, horizon: 10s }
sets:
  - { name: returns, spine: orders, features: [spend_1m, returns_1m], label: returned }
  - { name: spend, spine: orders, features: [spend_1m], label: returned, format: parquet }
`;
const file = join(tmp.dir, 'shop.yaml');
writeFileSync(file, CONFIG);

async function run(flags: Parameters<typeof labelCommand>[1]): Promise<string> {
  const out: string[] = [];
  expect(await labelCommand(file, flags, (l) => out.push(l))).toBe(0);
  return out.join('\n');
}

describe('labelCommand (tributary label)', () => {
  it('replays first when the feature tables are missing, then prints rows, drops and label balance', async () => {
    const text = await run({});
    expect(text).toContain('replaying first: new events imported into orders, returns');
    expect(text).toMatch(/returns\s+\d+\s+2\s+\d+\s+0\s+0/);
    expect(text).toMatch(/label returned: 0: \d+ \(\d+\.\d%\), 1: \d+ \(\d+\.\d%\)/);
    expect(existsSync(join(tmp.dir, 'state', 'sets', 'returns.arrow'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'state', 'sets', 'spend.parquet'))).toBe(true);
  });

  it('does not replay again while the tables are fresh; --set, --out, --format and --inference', async () => {
    const out = join(tmp.dir, 'out');
    const text = await run({ set: 'returns', out, format: 'parquet', inference: true });
    expect(text).not.toContain('replaying');
    const objects = (await parquetReadObjects({ file: await asyncBufferFromFile(join(out, 'returns.parquet')) })) as Record<string, unknown>[];
    expect(objects).toHaveLength(200); // inference keeps every order
    expect(objects.at(-1)!.returned).toBeNull(); // past the last return
    const json = JSON.parse(await run({ set: ['returns'], json: true })) as { sets: { counts: { droppedPastEnd: number; kept: number } }[] };
    expect(json.sets[0]!.counts.kept + json.sets[0]!.counts.droppedPastEnd).toBe(200);
    expect(tableFromIPC(readFileSync(join(tmp.dir, 'state', 'sets', 'returns.arrow'))).numRows).toBe(json.sets[0]!.counts.kept);
  });

  it('replays again when the config changed since the tables were written', async () => {
    writeFileSync(file, CONFIG.replace('window: 1m, default: 0 }\n  - { name: returns_1m', 'window: 2m, default: 0 }\n  - { name: returns_1m'));
    expect(await run({ set: 'returns' })).toContain('was written from another version');
    writeFileSync(file, CONFIG);
  });

  it('rejects an unknown set and a bad format', async () => {
    await expect(labelCommand(file, { set: 'nope' }, () => {})).rejects.toBeInstanceOf(ConfigError);
    await expect(labelCommand(file, { format: 'csv' }, () => {})).rejects.toThrow(/arrow or parquet/);
  });
});
