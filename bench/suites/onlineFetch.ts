import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Request, Router } from 'zeromq';
import { startOnlineServer } from '../../src/actors/online/onlineServer.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import type { Column } from '../../src/pipelines/data/column.js';
import { Dictionary } from '../../src/pipelines/data/dictionary.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { OnlineClient, type FeatureVector } from '../../src/sdk/onlineClient.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { FeatureStore } from '../../src/store/features/featureStore.js';
import { tableSpecsFor } from '../../src/store/features/tableSpec.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, SuiteContext, SuiteResult } from '../lib/suite.js';
import { envFlag, envInt, nowMs } from '../lib/timing.js';

/**
 * Online fetch latency: the latest 50-feature vector of one key, requested over ZeroMQ on loopback
 * by `OnlineClient` (DEALER) from a server (ROUTER, `startOnlineServer`) in a separate process, as
 * in production: client and server do not share an event loop. One request at a time, so each
 * figure is a full round trip: JSON encode, send, key lookup, 50 column reads, JSON reply, parse.
 *
 * Workload: one events table keyed by card_id with 50 float64 feature columns (5 aggregates x
 * {count, sum, mean, min, max} x {10m, 1h}; two with a default and max_staleness), filled with
 * BENCH_EVENTS rows (default 200k) over BENCH_ONLINE_KEYS keys (default 10k). Requests pick keys at
 * random; BENCH_ONLINE_REQUESTS (default 20k) timed requests per repetition, after 2k warm-up ones.
 *
 * Also measured, for context: the server's own work per request (`fetcher.handle`, in the server
 * process, no transport), and a ZeroMQ echo of a reply-sized message (the transport floor).
 *
 * Standalone: `node --import tsx -e "import('./bench/suites/onlineFetch.ts').then(m => m.run()).then(r => console.log(JSON.stringify(r, null, 2)))"`
 */

const CHILD_FLAG = 'TRIBUTARY_ONLINE_FETCH_BENCH_SERVER';
const T0 = Date.UTC(2024, 0, 1);

const CONFIG = `
name: online_bench
sources:
  txns:
    time: ts
    keys: [card_id]
    lateness: 0s
    columns: { card_id: string, a0: float64, a1: float64, a2: float64, a3: float64, a4: float64 }
features:
${[0, 1, 2, 3, 4]
  .map(
    (i) => `  - name: f${i}
    source: txns
    ops: [count, sum, mean, min, max]
    column: a${i}
    windows: [10m, 1h]${i < 2 ? '\n    default: 0\n    max_staleness: 30d' : ''}`,
  )
  .join('\n')}
`;

interface Workload {
  rows: number;
  keys: number;
  seed: number;
}

interface ServerReady {
  type: 'ready';
  zmq: string;
  echo: string;
  features: number;
  columns: string[];
  /** The expected vector of a few keys, read in-process, for checking what the client receives. */
  samples: { key: string; vector: FeatureVector }[];
  handleUs: { p50: number; p99: number; mean: number };
  setupMs: number;
}

function compileBench(): CompiledFeatureSet {
  const config = parseConfig(CONFIG, { dataDir: '/nonexistent' });
  return compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
}

/** xorshift32: deterministic, so that the client knows which keys exist without being told. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const keyName = (k: number) => `card-${String(k).padStart(6, '0')}`;

/** A store with the workload's rows, appended in 64k-row batches as a replay would. */
function fillStore(store: FeatureStore, compiled: CompiledFeatureSet, w: Workload): void {
  const spec = tableSpecsFor(compiled)[0]!;
  const cols = spec.columns.map((c) => c.name);
  const dict = new Dictionary(Array.from({ length: w.keys }, (_, k) => keyName(k)));
  const rnd = rng(w.seed);
  const BATCH = 65_536;
  let t = T0;
  for (let start = 0; start < w.rows; start += BATCH) {
    const n = Math.min(BATCH, w.rows - start);
    const time = new Float64Array(n);
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      t += Math.floor(rnd() * 20);
      time[i] = t;
      codes[i] = Math.floor(rnd() * w.keys);
    }
    const columns: Record<string, Column> = { card_id: { type: 'dictionary', codes, dictionary: dict } };
    for (const c of cols) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = Math.round(rnd() * 1e6) / 100;
      columns[c] = { type: 'float64', values };
    }
    store.append(spec.name, { length: n, time, columns });
  }
}

function percentiles(samples: Float64Array): { p50: number; p90: number; p99: number; p999: number; max: number; mean: number } {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  let sum = 0;
  for (const x of s) sum += x;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s[s.length - 1]!, mean: sum / s.length };
}

/** The server process: build the store, serve it, report, and wait to be killed. */
async function serverMain(w: Workload): Promise<void> {
  const started = nowMs();
  const compiled = compileBench();
  const store = FeatureStore.inMemory();
  const spec = tableSpecsFor(compiled)[0]!;
  await store.defineTable(spec);
  fillStore(store, compiled, w);
  const server = await startOnlineServer(store, compiled, { zmq: 'tcp://127.0.0.1:*', clock: () => T0 + 86_400_000 });
  const columns = server.fetcher.features().map((f) => f.name);

  // The server's own cost per request, without transport.
  const rnd = rng(w.seed ^ 0x5bd1e995);
  const handle = new Float64Array(20_000);
  for (let i = 0; i < 22_000; i++) {
    const body = `{"keys":{"card_id":"${keyName(Math.floor(rnd() * w.keys))}"}}`;
    const t = nowMs();
    server.fetcher.handle(body);
    if (i >= 2_000) handle[i - 2_000] = (nowMs() - t) * 1000;
  }
  const h = percentiles(handle);

  // A ROUTER that echoes a reply-sized message: what ZeroMQ itself costs per round trip.
  const echo = new Router({ linger: 0 });
  await echo.bind('tcp://127.0.0.1:*');
  const reply = server.fetcher.handle(`{"keys":{"card_id":"${keyName(0)}"}}`).body;
  void (async () => {
    for await (const frames of echo) await echo.send([...frames.slice(0, -1), reply]);
  })().catch(() => undefined);

  const samples = [0, 1, 2, w.keys - 1].map((k) => ({ key: keyName(k), vector: JSON.parse(server.fetcher.handle(`{"keys":{"card_id":"${keyName(k)}"}}`).body).values as FeatureVector }));
  const ready: ServerReady = {
    type: 'ready',
    zmq: server.zmq!,
    echo: echo.lastEndpoint!,
    features: columns.length,
    columns,
    samples,
    handleUs: { p50: round(h.p50, 2), p99: round(h.p99, 2), mean: round(h.mean, 2) },
    setupMs: round(nowMs() - started, 0),
  };
  process.send!(ready);
}

if (process.env[CHILD_FLAG] === '1' && process.send !== undefined) {
  process.once('message', (w: Workload) => {
    serverMain(w).catch((err: Error) => {
      process.send!({ type: 'error', message: err.stack ?? err.message });
    });
  });
}

async function startServerProcess(w: Workload): Promise<{ child: ChildProcess; ready: ServerReady }> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, [CHILD_FLAG]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(w);
  const [msg] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [{ type: 'error', message: 'the server process exited' }])])) as [ServerReady | { type: 'error'; message: string }];
  if (msg.type !== 'ready') {
    child.kill();
    throw new Error(`online fetch server failed: ${msg.message}`);
  }
  return { child, ready: msg };
}

/** `requests` sequential fetches of random keys; each round trip's latency in µs. */
async function timeFetches(client: OnlineClient, w: Workload, requests: number, seed: number): Promise<Float64Array> {
  const rnd = rng(seed);
  const out = new Float64Array(requests);
  for (let i = 0; i < requests; i++) {
    const key = keyName(Math.floor(rnd() * w.keys));
    const t = nowMs();
    const v = await client.fetch({ card_id: key });
    out[i] = (nowMs() - t) * 1000;
    if (v.f0_count_10m === undefined) throw new Error('the reply has no f0_count_10m');
  }
  return out;
}

async function timeEcho(endpoint: string, requests: number): Promise<Float64Array> {
  const req = new Request({ linger: 0 });
  req.connect(endpoint);
  const out = new Float64Array(requests);
  const body = `{"keys":{"card_id":"${keyName(1)}"},"id":1}`;
  for (let i = 0; i < requests + 1000; i++) {
    const t = nowMs();
    await req.send(body);
    await req.receive();
    if (i >= 1000) out[i - 1000] = (nowMs() - t) * 1000;
  }
  req.close();
  return out;
}

/** The same measurement with the server in this process (for context: it removes the process hop). */
async function sameProcess(w: Workload, requests: number, ctx: SuiteContext): Promise<{ runsMs: number[]; p: ReturnType<typeof percentiles> }> {
  ctx.log('same-process server');
  const compiled = compileBench();
  const store = FeatureStore.inMemory();
  await store.defineTable(tableSpecsFor(compiled)[0]!);
  fillStore(store, compiled, w);
  const server = await startOnlineServer(store, compiled, { zmq: 'tcp://127.0.0.1:*', clock: () => T0 + 86_400_000 });
  const client = await OnlineClient.connect(server.zmq!);
  try {
    await timeFetches(client, w, 2_000, 1);
    const runsMs: number[] = [];
    const all: number[] = [];
    for (let rep = 0; rep < ctx.reps; rep++) {
      const t = nowMs();
      const lat = await timeFetches(client, w, requests, 200 + rep);
      runsMs.push(nowMs() - t);
      for (const x of lat) all.push(x);
    }
    return { runsMs, p: percentiles(Float64Array.from(all)) };
  } finally {
    await client.close();
    await server.close();
  }
}

export const onlineFetch: BenchSuite = {
  name: 'onlineFetch',
  description: 'latest 50-feature vector of one key over ZeroMQ on loopback, server in another process: p50/p99 round trip',
  async run(ctx: SuiteContext): Promise<SuiteResult> {
    const wall = nowMs();
    const w: Workload = { rows: ctx.events ?? 200_000, keys: envInt('BENCH_ONLINE_KEYS', 10_000), seed: 20240101 };
    const requests = envInt('BENCH_ONLINE_REQUESTS', 20_000);
    ctx.log(`starting the server process (${w.rows} rows, ${w.keys} keys)`);
    const { child, ready } = await startServerProcess(w);
    const client = await OnlineClient.connect(ready.zmq);
    try {
      // Verification: what the client receives is what the server reads in-process.
      let checked = 0;
      for (const s of ready.samples) {
        const got = await client.fetch({ card_id: s.key });
        if (JSON.stringify(got) !== JSON.stringify(s.vector)) throw new Error(`fetched vector of ${s.key} differs from the store's: ${JSON.stringify(got).slice(0, 200)}`);
        checked++;
      }
      if (ready.features !== 50) throw new Error(`the vector has ${ready.features} features, not 50`);

      ctx.log('warming up');
      await timeFetches(client, w, 2_000, 1);
      const runsMs: number[] = [];
      const all: Float64Array[] = [];
      const perRep: { p50: number; p99: number }[] = [];
      for (let rep = 0; rep < ctx.reps; rep++) {
        ctx.log(`rep ${rep + 1}/${ctx.reps}: ${requests} requests`);
        const t = nowMs();
        const lat = await timeFetches(client, w, requests, 100 + rep);
        runsMs.push(nowMs() - t);
        all.push(lat);
        const p = percentiles(lat);
        perRep.push({ p50: round(p.p50, 1), p99: round(p.p99, 1) });
      }
      const pooled = new Float64Array(all.reduce((n, a) => n + a.length, 0));
      let at = 0;
      for (const a of all) {
        pooled.set(a, at);
        at += a.length;
      }
      const p = percentiles(pooled);
      const echo = percentiles(await timeEcho(ready.echo, requests));
      const local = envFlag('BENCH_ONLINE_SAME_PROCESS', true) ? await sameProcess(w, requests, ctx) : undefined;
      const us = (x: number) => round(x, 1);
      return {
        workload: { rows: w.rows, keys: w.keys, features: ready.features, requests, reps: ctx.reps, transport: 'zeromq tcp loopback, ROUTER server in a child process, DEALER client' },
        contenders: {
          fetch: contender('OnlineClient.fetch (50 features), server in another process', runsMs, requests, 'requests', {
            notes: ['sequential: one request in flight, so latency = round trip', 'percentiles over every timed request of every repetition'],
            extra: { p50Us: us(p.p50), p90Us: us(p.p90), p99Us: us(p.p99), p999Us: us(p.p999), maxUs: us(p.max), meanUs: us(p.mean), perRep },
          }),
          ...(local && {
            sameProcess: contender('OnlineClient.fetch (50 features), server in this process', local.runsMs, requests, 'requests', {
              notes: ['client and server share one event loop: no cross-process wake-up, but each waits for the other'],
              extra: { p50Us: us(local.p.p50), p90Us: us(local.p.p90), p99Us: us(local.p.p99), p999Us: us(local.p.p999), maxUs: us(local.p.max), meanUs: us(local.p.mean) },
            }),
          }),
        },
        targets: [{ name: 'online fetch p99 (50 features)', target: '< 1 ms', actual: round(p.p99 / 1000, 4), threshold: 1, met: p.p99 < 1000 }],
        verification: { vectorsChecked: checked, features: ready.features },
        notes: [
          `server work per request (fetcher.handle, in-process): p50 ${ready.handleUs.p50} us, p99 ${ready.handleUs.p99} us`,
          `zeromq echo of a reply-sized message (REQ/ROUTER, same processes): p50 ${us(echo.p50)} us, p99 ${us(echo.p99)} us`,
          `server setup (compile, fill ${w.rows} rows, bind): ${ready.setupMs} ms`,
        ],
        wallMs: round(nowMs() - wall, 0),
      };
    } finally {
      await client.close();
      child.kill();
    }
  },
};

/** Run the suite on its own (without bench/run.ts): the SuiteResult as a plain object. */
export async function run(): Promise<Record<string, unknown>> {
  const reps = envInt('BENCH_REPS', 5);
  const events = process.env.BENCH_EVENTS ? envInt('BENCH_EVENTS', 1) : undefined;
  return (await onlineFetch.run({ events, reps, log: (m) => process.stderr.write(`[onlineFetch] ${m}\n`), scratchDir: '' })) as unknown as Record<string, unknown>;
}
