import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../src/actors/cluster/checkpointStore.js';
import type { ClusterEvent } from '../../../src/actors/cluster/coordinator.js';
import { LocalCluster } from '../../../src/actors/cluster/localCluster.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { sourceSpec } from '../../../src/sdk/replay.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import { LogTail } from '../../../src/store/log/tail.js';
import { createRuntime } from '../../../src/pipelines/runtime/context.js';
import { tempDir } from '../../helpers/tables.js';
import { expectGolden, recoveryFixture, reopenArrays, seeded, type RecoveryFixture } from './helpers/recoveryFixture.js';

/**
 * The recovery matrix, in the spirit of Arroyo's smoke tests and Pathway's kill tests: real
 * `tributary node` processes, one SIGKILLed at a random point of a replay (seeded, printed), the run
 * restored from the last complete checkpoint on the nodes left, on a replacement, or on one node;
 * and a stop at a checkpoint resumed on another number of nodes. Every output must equal one
 * thread's, with a per-key sequence check: each key's events once each, in order.
 */

const tmp = tempDir('tributary-recovery-');
const PAYMENTS_KEYS = { transactions: 'card_id', logins: 'user_id', fraud_reports: 'card_id' };
let payments: RecoveryFixture;
beforeAll(async () => {
  payments = await recoveryFixture('payments', join(tmp.dir, 'payments'), 250);
}, 120_000);
afterAll(() => tmp.remove());

interface Run {
  out: Record<string, Batch[]>;
  events: ClusterEvent[];
}

describe('a node SIGKILLed during a replay costs no data and duplicates none', () => {
  const cases = [
    { name: '3 nodes, restored on the 2 left', nodes: 3, restart: false, after: 2, seed: 11 },
    { name: '3 nodes, restored on 3 with the replacement', nodes: 3, restart: true, after: 3, seed: 23 },
    { name: '2 nodes, restored on 1', nodes: 2, restart: false, after: 1, seed: 37 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const rng = seeded(c.seed);
      const cluster = await LocalCluster.start({ nodes: c.nodes, restart: c.restart });
      try {
        const victim = cluster.nodes[Math.floor(rng() * c.nodes)]!;
        // After the first checkpoints (every 1000 rows), before the end.
        const killAt = Math.floor(payments.rows * (0.3 + 0.5 * rng()));
        const run: Run = { out: {}, events: [] };
        let read = 0;
        let killedAt = -1;
        const summary = await cluster.coordinator.run({
          compiled: payments.compiled,
          runtime: createRuntime(),
          nodes: c.nodes,
          restoreWaitMs: c.restart ? 60_000 : 500,
          open: reopenArrays(payments.sources),
          onOutput: (t, b) => (run.out[t] ??= []).push(b),
          onInput: (_s, b) => {
            read += b.length;
            if (killedAt < 0 && read >= killAt) {
              killedAt = read;
              cluster.kill(victim);
            }
          },
          barrier: { everyRows: 1000 },
          // Little in flight, so the rows read track the rows processed and the kill lands mid-run.
          flow: { rows: 1000, bytes: 64 << 20 },
          onEvent: (e) => (run.events.push(e), process.env.DEBUG_RECOVERY && process.stdout.write(`EV ${Date.now()} read=${read} ${JSON.stringify(e)}\n`)),
        });
        const label = `seed ${c.seed}: SIGKILL ${victim} at row ${killedAt} of ${payments.rows}`;
        expect(killedAt, label).toBeGreaterThan(0);
        expect(summary.restores, label).toBeGreaterThanOrEqual(1);
        const starts = run.events.filter((e) => e.type === 'started');
        expect(starts.length, label).toBe(1 + summary.restores);
        expect(starts.at(-1)!.nodes.length, label).toBe(c.after);
        expect(starts.at(-1)!.nodes.includes(victim), label).toBe(c.restart);
        expectGolden(run.out, payments, PAYMENTS_KEYS);
        // Restored from a checkpoint, not from the start.
        expect(summary.restoredFrom.length, label).toBeGreaterThan(0);
      } finally {
        await cluster.close();
      }
    }, 180_000);
  }
});

describe('rescale: stop at a checkpoint, resume on another number of nodes', () => {
  for (const [before, after] of [
    [2, 3],
    [3, 1],
  ] as const) {
    it(`${before} nodes, then ${after}`, async () => {
      const store = new CheckpointStore(join(tmp.dir, `rescale-${before}-${after}`), payments.config.name);
      const first = await LocalCluster.start({ nodes: before });
      const stopped = await first.coordinator
        .run({ compiled: payments.compiled, runtime: createRuntime(), nodes: before, open: reopenArrays(payments.sources), onOutput: () => undefined, checkpoints: store, barrier: { everyRows: 1000 }, stopAfterCheckpoint: 3 })
        .finally(() => first.close());
      expect(stopped.stoppedAt).toBeGreaterThanOrEqual(3);
      const listed = await store.list();
      expect(listed.at(-1)!.id).toBe(stopped.stoppedAt);
      expect(Object.keys(listed.at(-1)!.nodes).length).toBe(before);

      const second = await LocalCluster.start({ nodes: after, prefix: 'other-' });
      const run: Run = { out: {}, events: [] };
      try {
        const resumed = await second.coordinator.run({
          compiled: payments.compiled,
          runtime: createRuntime(),
          nodes: after,
          open: reopenArrays(payments.sources),
          onOutput: (t, b) => (run.out[t] ??= []).push(b),
          checkpoints: store,
          barrier: { everyRows: 1000 },
          resume: true,
          onEvent: (e) => run.events.push(e),
        });
        expect(resumed.restoredFrom[0]).toBe(stopped.stoppedAt);
        expect(run.events.find((e) => e.type === 'started')).toMatchObject({ restoredFrom: stopped.stoppedAt, nodes: second.nodes });
      } finally {
        await second.close();
      }
      expectGolden(run.out, payments, PAYMENTS_KEYS);
    }, 180_000);
  }
});

describe('a node SIGKILLed during a live run costs no data and duplicates none', () => {
  it('events appended to the log while the coordinator follows it; 3 nodes, restored on 2', async () => {
    const dir = join(tmp.dir, 'live-log');
    const writerLog = await EventLog.open(dir);
    const names = Object.keys(payments.sources);
    const writers = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await writerLog.openSource(sourceSpec(payments.config.sources[n]!))] as const)));
    const readerLog = await EventLog.open(dir);
    const total = Object.fromEntries(names.map((n) => [n, payments.sources[n]!.reduce((x, b) => x + b.length, 0)]));
    // The feed: every source's batches, appended in turn, a few milliseconds apart, as live events land.
    let writing = true;
    const feed = (async () => {
      const queue = names.flatMap((n) => payments.sources[n]!.map((b, i) => ({ n, b, i })));
      queue.sort((x, y) => x.i - y.i);
      for (const { n, b } of queue) {
        await writers[n]!.append(b);
        await writers[n]!.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      writing = false;
    })();
    // The coordinator follows the log from a checkpoint's offsets, until the feed is over and read.
    const follow = (from: Readonly<Record<string, { offset: number }>> | undefined) =>
      Object.fromEntries(
        names.map((n) => {
          const src = readerLog.source(n)!;
          const tail = new LogTail(src.dir, src.spec, src.dictionaries, from?.[n]?.offset ?? 0, 250);
          return [
            n,
            (async function* () {
              for (;;) {
                const batches = await tail.poll(1000);
                for (const b of batches) yield b;
                if (batches.length === 0) {
                  if (!writing && tail.offset >= total[n]!) return;
                  await new Promise((r) => setTimeout(r, 5));
                }
              }
            })(),
          ];
        }),
      );
    const cluster = await LocalCluster.start({ nodes: 3 });
    const run: Run = { out: {}, events: [] };
    try {
      const victim = 'node-1';
      let read = 0;
      let killedAt = -1;
      const summary = await cluster.coordinator.run({
        compiled: payments.compiled,
        runtime: createRuntime(),
        nodes: 3,
        restoreWaitMs: 500,
        open: follow,
        onOutput: (t, b) => (run.out[t] ??= []).push(b),
        onInput: (_s, b) => {
          read += b.length;
          if (killedAt < 0 && read >= payments.rows / 2) {
            killedAt = read;
            cluster.kill(victim);
          }
        },
        barrier: { everyRows: 1000, everyMs: 200 },
        flow: { rows: 1000, bytes: 64 << 20 },
        onEvent: (e) => run.events.push(e),
      });
      await feed;
      expect(killedAt).toBeGreaterThan(0);
      expect(summary.restores).toBeGreaterThanOrEqual(1);
      expect(run.events.filter((e) => e.type === 'started').at(-1)!.nodes).toEqual(['node-0', 'node-2']);
      expect(run.events.some((e) => e.type === 'lost' && e.node === victim)).toBe(true);
      expectGolden(run.out, payments, PAYMENTS_KEYS);
      expect(summary.restoredFrom.length).toBeGreaterThan(0);
    } finally {
      await cluster.close();
      writing = false;
      await feed.catch(() => undefined);
    }
  }, 180_000);
});
