import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Push } from 'zeromq';
import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/store/log/eventLog.js';
import { readArrowRows, tempDir } from '../helpers/tables.js';
import { freePort, waitFor } from '../actors/live/helpers.js';

// The CLI under test. TRIBUTARY_BIN points the test at another launcher of the same CLI, if needed.
const BIN = resolve(process.env.TRIBUTARY_BIN ?? 'bin/tributary.mjs');
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);

const tmp = tempDir('tributary-e2e-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  tmp.remove();
});

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Wait for `tributary live` to say it is running; fail at once, with what it said, if it exits first. */
async function started(p: Proc): Promise<void> {
  await waitFor(() => {
    if (p.child.exitCode !== null) throw new Error(`tributary live exited with ${p.child.exitCode} before running (is the live command wired in src/cli/main.ts?): ${p.stderr()}`);
    return p.stderr().includes('running');
  }, 'tributary live to start', 30_000);
}

function tributary(...args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function writeConfig(name: string): Promise<{ file: string; dataDir: string; clicks: string; orders: string }> {
  const dir = join(tmp.dir, name);
  const clicks = `tcp://127.0.0.1:${await freePort()}`;
  const orders = `tcp://127.0.0.1:${await freePort()}`;
  const file = join(tmp.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
data_dir: ${name}/data
sources:
  clicks:
    time: ts
    time_format: iso
    keys: [user]
    lateness: 5s
    columns: { user: string, page: string, dwell: float64 }
    live:
      zmq: { endpoint: "${clicks}", pattern: pull, format: jsonl }
      batch_rows: 16
      max_delay: 2ms
      idle_timeout: 10m
      max_message_bytes: 4096
  orders:
    time: ts
    keys: [user]
    lateness: 2s
    columns: { user: string, amount: float64, items: int32 }
    live:
      zmq: { endpoint: "${orders}", format: arrow }
      batch_rows: 25
      max_delay: 2ms
      idle_timeout: 10m
features:
  - { name: clicks_recent, source: clicks, ops: [count, mean], column: dwell, windows: [1m, 5m] }
  - { name: pages_seen, source: clicks, op: count_distinct, column: page, windows: [10m] }
  - { name: clicks_per_minute, source: clicks, ops: [count, sum], column: dwell, window: { tumbling: 1m } }
  - { name: spend, source: orders, op: sum, column: amount, windows: [10m] }
  - { name: orders_per_2m, source: orders, op: count, window: { hopping: 2m, every: 1m } }
  - { name: long_dwell_share, expr: "clicks_recent_count_1m / max(clicks_recent_count_5m, 1)" }
`,
  );
  return { file, dataDir: join(dir, 'data'), clicks, orders };
}

const users = ['ana', 'ben', 'cai', 'dee', 'eli'];
const iso = (ms: number) => new Date(ms).toISOString();

/** Click events from index `from`, 1.1 s apart; `shuffle` moves some back by up to 3 s (within lateness). */
function clickLines(from: number, n: number, shuffle = false): string[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    const t = T0 + i * 1100 - (shuffle && i % 4 === 1 ? 3000 : 0);
    return JSON.stringify({ ts: iso(t), user: users[i % 5], page: `/p${i % 7}`, dwell: (i % 13) * 0.75 });
  });
}

/** One Arrow IPC stream of orders from index `from`, 1.7 s apart; `nullUser` rows have no user. */
function orderStream(from: number, n: number, nullUser = -1): Uint8Array {
  const ts = Float64Array.from({ length: n }, (_, j) => T0 + (from + j) * 1700 - ((from + j) % 5 === 3 ? 1500 : 0));
  const user = Array.from({ length: n }, (_, j) => (j === nullUser ? null : users[(from + j) % 3]!));
  const amount = Float64Array.from({ length: n }, (_, j) => 5 + ((from + j) % 11) * 2.5);
  const items = Int32Array.from({ length: n }, (_, j) => 1 + ((from + j) % 4));
  return tableToIPC(tableFromArrays({ ts, user, amount, items }), 'stream');
}

/** Send everything the tests send; returns the events that must be accepted per source. */
async function publish(clicksEndpoint: string, ordersEndpoint: string): Promise<{ clicks: number; orders: number }> {
  const c = new Push();
  const o = new Push();
  c.connect(clicksEndpoint);
  o.connect(ordersEndpoint);
  await c.send(clickLines(0, 50).join('\n'));
  await o.send(orderStream(0, 40));
  await c.send(clickLines(50, 50, true).join('\n'));
  await c.send(
    [...clickLines(100, 15), JSON.stringify({ ts: 'not a time', user: 'ana' }), JSON.stringify({ ts: iso(T0), page: '/x' }), '{"ts": oops', JSON.stringify({ ts: iso(T0 + 200_000), user: 'ben', dwell: 'long' }), ...clickLines(115, 15)].join('\n'),
  );
  await c.send('this message is not JSON at all');
  await c.send(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
  await c.send(`${JSON.stringify({ ts: iso(T0), user: 'ana', page: 'x'.repeat(5000) })}`);
  await o.send(orderStream(40, 30, 7));
  await o.send(tableToIPC(tableFromArrays({ ts: Float64Array.of(T0), amount: Float64Array.of(1) }), 'stream'));
  await o.send(Buffer.from('ARROW? no'));
  // Two clicks far behind the rest: later than the 5 s lateness allows, in live and in replay alike.
  await c.send([...clickLines(130, 20), JSON.stringify({ ts: iso(T0 + 100 * 1100), user: 'ana', page: '/late', dwell: 1 }), JSON.stringify({ ts: iso(T0 + 110 * 1100), user: 'cai', page: '/late', dwell: 2 }), ...clickLines(150, 18)].join('\n'));
  await o.send(orderStream(70, 30));
  c.close();
  o.close();
  return { clicks: 50 + 50 + 30 + 20 + 2 + 18, orders: 40 + 29 + 30 };
}

async function logRows(dataDir: string): Promise<Record<string, number>> {
  const log = await EventLog.open(join(dataDir, 'log'));
  return Object.fromEntries(log.sources().map((s) => [s, log.source(s)!.rowCount]));
}

interface Summary {
  counters: { sources: Record<string, { accepted: number; received: number; rejectedMessages: Record<string, number>; deadLetters: Record<string, number>; pipelineRejected: Record<string, number> }> };
  tables: { name: string; kind: string; rows: number; file: string }[];
  events?: Record<string, number>;
  deadLetters: Record<string, Record<string, number>>;
}

describe('tributary live, end to end', () => {
  it('computes over ZeroMQ what replaying the recorded log computes, value for value', async () => {
    const { file, dataDir, clicks, orders } = await writeConfig('e2e');
    const live = tributary('live', file, '--json');
    await started(live);
    expect(live.stderr()).toContain(`clicks <- zmq pull bind ${clicks}`);
    const expected = await publish(clicks, orders);
    // Log first: every accepted event is in the log (its journal) while the run still goes on.
    await waitFor(async () => JSON.stringify(await logRows(dataDir)) === JSON.stringify(expected), 'the events to be logged', 20_000);
    live.child.kill('SIGTERM');
    expect(await live.exited).toBe(0);
    expect(live.stderr()).toContain('stopping (SIGTERM)');
    const summary = JSON.parse(live.stdout()) as Summary;
    const cl = summary.counters.sources.clicks!;
    const or = summary.counters.sources.orders!;
    expect(cl.accepted).toBe(expected.clicks);
    expect(cl.received).toBe(expected.clicks + 4);
    expect(cl.rejectedMessages).toEqual({ 'malformed message': 2, 'message too large': 1 });
    expect(cl.deadLetters).toEqual({ 'bad timestamp': 1, 'missing key': 1, 'malformed line': 1, 'wrong type': 1 });
    expect(cl.pipelineRejected.late).toBeGreaterThanOrEqual(2);
    expect(or.accepted).toBe(expected.orders);
    expect(or.rejectedMessages).toEqual({ 'wrong schema': 1, 'malformed message': 1 });
    expect(or.deadLetters).toEqual({ 'missing key': 1 });

    const replay = tributary('replay', file, '--json');
    expect(await replay.exited).toBe(0);
    const replayed = JSON.parse(replay.stdout()) as Summary;
    expect(replayed.events).toEqual(expected);
    expect(summary.tables.map((t) => t.name).sort()).toEqual(['clicks', 'clicks_per_minute', 'orders', 'orders_per_2m']);
    for (const t of summary.tables) {
      const mine = readArrowRows(t.file);
      const theirs = readArrowRows(replayed.tables.find((x) => x.name === t.name)!.file);
      expect(mine.length, t.name).toBeGreaterThan(0);
      expect(mine, t.name).toEqual(theirs);
    }
    // The late clicks were rejected by the pipeline the same way in both runs.
    expect(replayed.deadLetters.clicks!.late).toBe(cl.pipelineRejected.late);
  }, 120_000);

  it('a live run killed without warning loses no logged event: replay and the next live run find them all', async () => {
    const { file, dataDir, clicks, orders } = await writeConfig('crash');
    const live = tributary('live', file);
    await started(live);
    const expected = await publish(clicks, orders);
    await waitFor(async () => JSON.stringify(await logRows(dataDir)) === JSON.stringify(expected), 'the events to be logged', 20_000);
    live.child.kill('SIGKILL');
    await live.exited;

    const replay = tributary('replay', file, '--json');
    expect(await replay.exited).toBe(0);
    expect((JSON.parse(replay.stdout()) as Summary).events).toEqual(expected);

    // A new live run starts from the same state: it processes the recorded events first.
    const again = tributary('live', file, '--json', '--duration', '1s');
    expect(await again.exited).toBe(0);
    const summary = JSON.parse(again.stdout()) as Summary & { counters: { caughtUp: Record<string, number> } };
    expect(summary.counters.caughtUp).toEqual(expected);
    for (const t of summary.tables) expect(readArrowRows(t.file).length, t.name).toBe((JSON.parse(replay.stdout()) as Summary).tables.find((x) => x.name === t.name)!.rows);
  }, 120_000);
});
