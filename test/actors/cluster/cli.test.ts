import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCurveKeys } from '../../../src/actors/cluster/curve.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay, type ReplaySummary } from '../../../src/sdk/replay.js';
import { generateSamples } from '../../../src/sdk/samples/index.js';
import { tempDir } from '../../helpers/tables.js';
import { expectSameTable } from '../threads/helpers.js';

/**
 * `tributary coordinator` and `tributary node` as the pods run them: separate processes over TCP
 * on loopback, one node stopped with SIGTERM mid-run (it leaves, the run is restored on the other),
 * `tributary checkpoints` listing and pruning what the run kept, and CURVE: with keys configured, a
 * node without them cannot join.
 */

const tmp = tempDir('tributary-cluster-cli-');
const CLI = join('bin', 'tributary.mjs');
let file: string;
let local: ReplaySummary;
const children: ChildProcess[] = [];

interface Proc {
  child: ChildProcess;
  out: string[];
  exit: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  return { child, out, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

const port = () => 20_000 + Math.floor(Math.random() * 20_000);
const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  await generateSamples('payments', join(tmp.dir, 'data', 'samples', 'payments'), { scale: 0.6 });
  mkdirSync(join(tmp.dir, 'configs'), { recursive: true });
  file = join(tmp.dir, 'configs', 'payments.yaml');
  writeFileSync(file, readFileSync(join('configs', 'payments.yaml')));
  local = await replay(loadConfig(file, { dataDir: join(tmp.dir, 'local') }), { store: false });
}, 120_000);
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  tmp.remove();
});

describe('tributary coordinator and node processes', () => {
  it('replay on 2 nodes, one leaving with SIGTERM mid-run: the tables equal local; checkpoints are listed and pruned', async () => {
    const p = port();
    const dataDir = join(tmp.dir, 'cluster');
    const coordinator = start(['coordinator', file, '--bind', `tcp://127.0.0.1:${p}`, '--sink-port', String(p + 1), '--data-dir', dataDir, '--nodes', '2', '--checkpoint-every', '10000', '--max-in-flight-rows', '2000', '--restore-wait', '1s', '--once']);
    const nodes = [0, 1].map((i) => start(['node', file, '--id', `node-${i}`, '--coordinator', `tcp://127.0.0.1:${p}`, '--data-bind', 'tcp://127.0.0.1:*']));
    // Once the run has started (with little in flight, each node still has most of its work), node-1 is told to stop.
    await until(() => /run \d+ started on node-0, node-1/.test(coordinator.out.join('')), 120_000);
    nodes[1]!.child.kill('SIGTERM');
    expect(await nodes[1]!.exit).toBe(0);
    expect(await coordinator.exit, coordinator.out.join('')).toBe(0);
    const log = coordinator.out.join('');
    expect(log).toMatch(/node node-1 lost: it is shutting down/);
    expect(log).toMatch(/run \d+ started on node-0(\n| from checkpoint \d+)/);
    for (const t of local.tables) expectSameTable(tableFromIPC(readFileSync(join(dataDir, 'features', `${t.name}.arrow`))), tableFromIPC(readFileSync(t.file)), t.name);
    await nodes[0]!.exit;

    const listed = start(['checkpoints', file, '--data-dir', dataDir, '--json']);
    expect(await listed.exit).toBe(0);
    const kept = JSON.parse(listed.out.join('')) as { id: number }[];
    expect(kept.length).toBeGreaterThan(1);
    const pruned = start(['checkpoints', file, '--data-dir', dataDir, '--prune', '1']);
    expect(await pruned.exit).toBe(0);
    expect(pruned.out.join('')).toMatch(/removed checkpoints? /);
    expect(pruned.out.join('')).toContain(`${kept.at(-1)!.id}  `);
  }, 240_000);

  it('with CURVE keys, a node with them joins and a node without them cannot', async () => {
    const keys = join(tmp.dir, 'curve');
    await generateCurveKeys(keys);
    const p = port();
    const coordinator = start(['coordinator', file, '--bind', `tcp://127.0.0.1:${p}`, '--sink-port', String(p + 1), '--data-dir', join(tmp.dir, 'curved'), '--nodes', '1', '--curve-dir', keys, '--once']);
    const plain = start(['node', '--id', 'intruder', '--coordinator', `tcp://127.0.0.1:${p}`, '--data-bind', 'tcp://127.0.0.1:*', '--join-timeout', '4s']);
    expect(await plain.exit).toBe(1);
    expect(plain.out.join('')).toMatch(/no welcome from the coordinator .* CURVE/);
    const keyed = start(['node', '--id', 'node-0', '--coordinator', `tcp://127.0.0.1:${p}`, '--data-bind', 'tcp://127.0.0.1:*', '--curve-dir', keys]);
    expect(await coordinator.exit, coordinator.out.join('')).toBe(0);
    expect(coordinator.out.join('')).not.toContain('intruder');
    expect(coordinator.out.join('')).toContain('node node-0 joined');
    expect(readFileSync(join(tmp.dir, 'curved', 'features', 'transactions.arrow')).length).toBeGreaterThan(0);
    await keyed.exit;
  }, 240_000);
});
