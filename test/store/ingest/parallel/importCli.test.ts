import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import { main } from '../../../../src/cli/main.js';
import { EventLog } from '../../../../src/store/log/eventLog.js';
import { readRows, tempDir } from '../../log/testUtil.js';

/**
 * `tributary import --threads`, through `main`. The file is small, so it is decoded on the calling
 * thread (PARALLEL_MIN_BYTES): this checks the flag reaches the import and is validated; the
 * parallel path itself is compared with the sequential one in readParallel.test.ts.
 */
afterAll(() => closeSharedTaskPools());

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'tributary', ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function configIn(dir: string): string {
  writeFileSync(join(dir, 'ev.csv'), 'ts,user,amount\n2024-01-01T00:00:00Z,u1,1.5\n2024-01-01T00:00:01Z,"u, 2",\nbad,u1,1\n');
  const config = join(dir, 'ev.yaml');
  writeFileSync(
    config,
    `name: ev_cli
data_dir: data
sources:
  ev:
    path: ev.csv
    time: ts
    keys: [user]
    columns: { user: string, amount: float64 }
features:
  - { name: cnt, source: ev, op: count, window: 1m }
`,
  );
  return config;
}

describe('tributary import --threads', () => {
  it('imports with --threads 2 as with no flag', async () => {
    const a = await tempDir();
    const b = await tempDir();
    try {
      const one = await run('import', configIn(a.dir));
      const two = await run('import', configIn(b.dir), '--threads', '2');
      expect(two).toMatchObject({ code: 0, err: '' });
      expect(two.out.replaceAll(b.dir, '')).toBe(one.out.replaceAll(a.dir, ''));
      expect(two.out).toMatch(/ev\s+imported\s+2\s+1\s+2/);
      const rows = async (dir: string) => readRows(await (await EventLog.open(join(dir, 'data', 'log'))).openSource({ name: 'ev', time: 'ts', timeFormat: 'auto', keys: ['user'], lateness: 0, columns: { user: 'string', amount: 'float64' } }));
      expect(await rows(b.dir)).toEqual(await rows(a.dir));
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('refuses a thread count that is not a positive whole number', async () => {
    const a = await tempDir();
    try {
      const r = await run('import', configIn(a.dir), '--threads', 'two');
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/--threads "two": write a whole number of threads/);
    } finally {
      await a.cleanup();
    }
  });
});
