import { deserialize } from 'node:v8';
import { Dealer, Pull, Push } from 'zeromq';
import { BUILTIN_DEFINITIONS } from '../../pipelines/features/index.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { FeatureRegistry } from '../../sdk/registry.js';
import { DictionaryTable } from '../threads/wire.js';
import { decodeBatch, encodeBatch } from './batchFrames.js';
import { curveClient, loadCurveKeysIfPresent } from './curve.js';
import { serveHealth, type HealthServer } from './healthServer.js';
import { KeyGroupActor } from './keyGroupActor.js';
import { bytesFrame, float64Frame, frames, header, int32Frame, type CoordinatorMessage, type DataMessage, type NodeMessage, type SinkMessage } from './protocol.js';
import { receiveLoop } from './receiveLoop.js';
import { SendQueue } from './sendQueue.js';

export interface NodeOptions {
  /** The node's id: key groups are assigned to it (a pod name in Kubernetes). */
  id: string;
  /** The coordinator's control endpoint, e.g. tcp://tributary-coordinator:7600. */
  coordinator: string;
  /** Where the data PULL socket binds (default tcp://0.0.0.0:7601; `tcp://127.0.0.1:*` picks a port). */
  dataBind?: string;
  /** The host other processes reach this node at (default: the bind host); the port is the bound one. */
  advertise?: string;
  /** CURVE keys (see curve.ts); absent or empty means plaintext. */
  curveDir?: string;
  /** HTTP health endpoints on this port (GET /healthz, /readyz). */
  healthPort?: number;
  /** Give up when the coordinator has not welcomed the node within this long (default 30 s). */
  joinTimeoutMs?: number;
  /** Stop when the coordinator has been silent this long after joining (default 60 s): it is gone. */
  coordinatorTimeoutMs?: number;
  /** Output rows buffered before they are sent to the coordinator (default 65,536). */
  outputRows?: number;
  log?: (line: string) => void;
  /** Leave: tell the coordinator (so it restores this node's key groups at once) and stop. */
  signal?: AbortSignal;
}

/**
 * An actor node, `tributary node`: a process (a pod in Kubernetes) that joins the coordinator, owns
 * the key groups the coordinator assigns it, and runs the feature set's lanes over its share of
 * the keyed shuffle. It snapshots its key groups at each checkpoint barrier and ships the states
 * to the coordinator, so it keeps nothing on disk: a replacement restores them from there.
 * Resolves when the coordinator says stop; rejects when it cannot join or a run fails.
 *
 * @example
 * await runNode({ id: 'node-0', coordinator: 'tcp://127.0.0.1:7600', dataBind: 'tcp://127.0.0.1:*' });
 */
export async function runNode(opts: NodeOptions): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const keys = opts.curveDir === undefined ? undefined : await loadCurveKeysIfPresent(opts.curveDir);
  const control = new Dealer({ routingId: opts.id, linger: 0 });
  const data = new Pull({ linger: 0, receiveHighWaterMark: 64 });
  const sink = new Push({ linger: 2000, sendHighWaterMark: 256 });
  if (keys !== undefined) {
    // Every CURVE server (and the ZAP handler that checks client keys) is in the coordinator; the
    // node is the client on all three sockets, binding one of them: CURVE roles are independent of
    // bind and connect.
    curveClient(control, keys);
    curveClient(data, keys);
    curveClient(sink, keys);
  }
  const bind = opts.dataBind ?? 'tcp://0.0.0.0:7601';
  await data.bind(bind);
  const bound = new URL(data.lastEndpoint!.replace(/^tcp:/, 'http:'));
  const advertised = `tcp://${opts.advertise ?? bound.hostname}:${bound.port}`;
  control.connect(opts.coordinator);
  const controlOut = new SendQueue(control);
  const sinkOut = new SendQueue(sink);
  const send = (m: NodeMessage) => controlOut.send(frames(m));

  let joined = false;
  let rejoining = false;
  let gen = -1;
  let actor: KeyGroupActor | undefined;
  let dicts = new DictionaryTable();
  let config: FeatureSetConfig | undefined;
  let registry: FeatureRegistry | undefined;
  let stopped = false;
  let health: HealthServer | undefined;
  if (opts.healthPort !== undefined) {
    health = await serveHealth(opts.healthPort, () => ({
      ready: joined && actor !== undefined,
      detail: { node: opts.id, joined, gen, coordinator: opts.coordinator },
    }));
  }

  let finish!: (err?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => (finish = (err) => (err === undefined ? resolve() : reject(err))));
  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    log(`node ${opts.id}: run ${gen} failed: ${message}`);
    void send({ type: 'failed', node: opts.id, gen, message });
  };

  opts.signal?.addEventListener('abort', () => {
    stopped = true;
    void send({ type: 'leave', node: opts.id }).finally(() => finish());
  });
  await send({ type: 'hello', node: opts.id, data: advertised, pid: process.pid });
  let heard = Date.now();
  const heartbeat = setInterval(() => {
    void send({ type: 'heartbeat', node: opts.id }).catch(() => undefined);
    const silent = Date.now() - heard;
    if (joined && silent > (opts.coordinatorTimeoutMs ?? 60_000)) finish(new Error(`node ${opts.id}: the coordinator at ${opts.coordinator} has been silent for ${Math.round(silent / 1000)} s; stopping`));
  }, 250);
  const joinTimer = setTimeout(() => {
    if (!joined) finish(new Error(`node ${opts.id}: no welcome from the coordinator at ${opts.coordinator} within ${(opts.joinTimeoutMs ?? 30_000) / 1000} s (is it running, and are CURVE keys configured alike on both sides?)`));
  }, opts.joinTimeoutMs ?? 30_000);

  const flushOutputs = async (a: KeyGroupActor) => {
    const rejections = a.takeRejections();
    if (rejections.length > 0) await sinkOut.send(frames({ type: 'reject', node: opts.id, gen, rejections } satisfies SinkMessage));
    const outs = a.takeOutputs();
    if (outs.length === 0) return;
    const parts: Extract<SinkMessage, { type: 'output' }>['parts'] = [];
    const bins: Uint8Array[] = [];
    for (const o of outs) {
      for (const b of o.batches) {
        const { ipc, meta } = encodeBatch(b, dicts);
        parts.push({ lane: o.lane, table: o.table, group: o.group, meta });
        bins.push(ipc);
      }
    }
    await sinkOut.send(frames({ type: 'output', node: opts.id, gen, parts } satisfies SinkMessage, ...bins));
  };

  const controlLoop = () =>
    receiveLoop(control, async (msg) => {
      heard = Date.now();
      const m = header<CoordinatorMessage>(msg[0]);
      if (m.type === 'welcome') {
        if (!joined) sink.connect(m.sink);
        joined = true;
        rejoining = false;
        clearTimeout(joinTimer);
        log(`node ${opts.id}: joined ${opts.coordinator}, data at ${advertised}`);
      } else if (m.type === 'rejoin') {
        // Declared lost while alive (a long pause): drop the run, and join again (once per welcome).
        actor = undefined;
        gen = -1;
        if (!rejoining) {
          rejoining = true;
          await send({ type: 'hello', node: opts.id, data: advertised, pid: process.pid });
        }
      } else if (m.type === 'init') {
        try {
          const cfg = deserialize(bytesFrame(msg[1])) as FeatureSetConfig;
          if (config === undefined || cfg.name !== config.name) {
            registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
            for (const mod of cfg.modules) await registry.loadModule(mod);
          }
          config = cfg;
          const restore = m.restore.map((r, i) => ({ ...r, bytes: bytesFrame(msg[i + 2]) }));
          const owned = new Map(Object.entries(m.owned).map(([lane, groups]) => [Number(lane), groups]));
          actor = new KeyGroupActor(cfg, registry!, m.lanes, owned, restore);
          dicts = new DictionaryTable();
          gen = m.gen;
          await send({ type: 'ready', node: opts.id, gen });
        } catch (err) {
          gen = m.gen;
          fail(err);
        }
      } else if (m.type === 'stop') {
        log(`node ${opts.id}: stopping (${m.reason})`);
        stopped = true;
        finish();
      }
    });

  const dataLoop = () =>
    receiveLoop(data, async (msg) => {
      const m = header<DataMessage>(msg[0]);
      if (m.gen !== gen || actor === undefined) return;
      const a = actor;
      try {
        if (m.type === 'batch') {
          dicts.apply(m.dictionaries);
          const batch = decodeBatch(bytesFrame(msg[1]), m.meta, dicts);
          const rowNumbers = float64Frame(msg[2]);
          const announce = float64Frame(msg[3]);
          a.feed(batch, rowNumbers, m.lanes.map((l) => ({ lane: l.lane, rows: int32Frame(msg[l.rows]), groups: int32Frame(msg[l.groups]) })), announce);
          if (a.pendingRows >= (opts.outputRows ?? 65_536)) await flushOutputs(a);
          await send({ type: 'credit', node: opts.id, gen: m.gen, rows: m.rows, bytes: m.bytes });
        } else if (m.type === 'barrier') {
          await flushOutputs(a);
          const states = a.snapshot();
          await sinkOut.send(
            frames({ type: 'ack', node: opts.id, gen: m.gen, checkpoint: m.checkpoint, states: states.map((s) => ({ lane: s.lane, group: s.group })) } satisfies SinkMessage, ...states.map((s) => s.bytes)),
          );
        } else if (m.type === 'end') {
          a.end(m.watermarks);
          await flushOutputs(a);
          await sinkOut.send(frames({ type: 'done', node: opts.id, gen: m.gen } satisfies SinkMessage));
        }
      } catch (err) {
        fail(err);
      }
    });

  const loops = Promise.all([controlLoop(), dataLoop()]).catch((err: unknown) => {
    if (!stopped) finish(err);
  });
  try {
    await finished;
  } finally {
    clearInterval(heartbeat);
    clearTimeout(joinTimer);
    control.linger = 1000;
    control.close();
    data.close();
    sink.close();
    await health?.close();
    await loops;
  }
}
