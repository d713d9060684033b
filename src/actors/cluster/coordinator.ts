import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import { Pull, Push, Router } from 'zeromq';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import type { Rejection, RuntimeContext } from '../../pipelines/runtime/context.js';
import { interleave, type SourceBatches } from '../inProcess.js';
import { mergeLaneOutputs } from '../lanes/mergeLaneOutputs.js';
import { planLanes } from '../lanes/planLanes.js';
import { SourceSplitter, type SplitterSnapshot } from '../lanes/sourceSplitter.js';
import { assign, groupRanges, groupsOf, type Assignment } from '../partitioning/assignment.js';
import { DEFAULT_KEY_GROUPS } from '../partitioning/keyHash.js';
import { partitionRows } from '../partitioning/partitionRows.js';
import { reassign } from '../partitioning/reassign.js';
import { DictionaryTable } from '../threads/wire.js';
import { decodeBatch, encodeBatch } from './batchFrames.js';
import { barrierDue, BarrierAcks, type BarrierPolicy } from './barrierPolicy.js';
import type { CheckpointManifest, CheckpointStore, Epoch } from './checkpointStore.js';
import { curveServer, loadCurveKeysIfPresent, type CurveKeys } from './curve.js';
import { DEFAULT_FLOW_LIMITS, mayPush, type FlowLimits, type InFlight } from './flowControl.js';
import { serveHealth, type HealthServer } from './healthServer.js';
import type { KeyGroupOutput, KeyGroupState } from './keyGroupActor.js';
import { chooseMembers, expiredMembers, type MemberInfo } from './membership.js';
import { bytesFrame, frames, header, type CoordinatorMessage, type DataMessage, type NodeMessage, type SinkMessage } from './protocol.js';
import { receiveLoop } from './receiveLoop.js';
import { SendQueue } from './sendQueue.js';
import { unifyDictionaries } from './unifyDictionaries.js';
import { startZapHandler, type ZapHandler } from './zapHandler.js';

export interface CoordinatorOptions {
  /** Control ROUTER endpoint (default tcp://0.0.0.0:7600; `tcp://127.0.0.1:*` picks a port). */
  bind?: string;
  /** Sink PULL endpoint, where nodes push outputs (default: the control host, port 7603, or any port when control's is `*`). */
  sinkBind?: string;
  /** The host nodes reach the sink at (default: the bind host, or 127.0.0.1 for 0.0.0.0). */
  advertise?: string;
  curveDir?: string;
  /** A node silent for this long is lost (default 10 s; nodes beat every 250 ms, but a busy or starved one may be late). */
  heartbeatTimeoutMs?: number;
  healthPort?: number;
  log?: (line: string) => void;
}

/** Where a source's stream stands: the log offset of the next row, and rows read. */
export interface SourceOffset {
  offset: number;
  rows: number;
}

/** One run of a feature set on the cluster. */
export interface ClusterJob {
  compiled: CompiledFeatureSet;
  runtime: RuntimeContext;
  /** The sources from a position (undefined: from the start). Called again at every restore. */
  open(from: Readonly<Record<string, SourceOffset>> | undefined): Readonly<Record<string, SourceBatches>>;
  onOutput(table: string, b: Batch): void;
  /** Each source row once, even when a restore reads it again. */
  onInput?(source: string, b: Batch): void;
  /** Nodes to run on (the run starts when this many have joined, or with those there after waitForNodesMs). */
  nodes: number;
  waitForNodesMs?: number;
  /** After a node is lost: wait this long for a replacement, then go on with the nodes left (default 10 s). */
  restoreWaitMs?: number;
  /** Where checkpoints are kept; without it they are kept in memory for this run only. */
  checkpoints?: CheckpointStore;
  /** Complete checkpoints kept on disk (default 3). */
  keepCheckpoints?: number;
  barrier?: BarrierPolicy;
  /** Start from the latest complete checkpoint in `checkpoints`. */
  resume?: boolean;
  /** Stop once this checkpoint is complete, without finishing (to rescale, resume with other nodes). */
  stopAfterCheckpoint?: number;
  flow?: FlowLimits;
  /** Source batches are sent in chunks of at most this many rows (default 65,536). */
  chunkRows?: number;
  onEvent?(e: ClusterEvent): void;
}

export type ClusterEvent =
  | { type: 'started'; gen: number; nodes: string[]; restoredFrom?: number }
  | { type: 'checkpoint'; id: number; rows: number; bytes: number; ms: number }
  | { type: 'lost'; node: string; reason: string }
  | { type: 'stopped'; checkpoint: number }
  | { type: 'finished'; gen: number };

export interface ClusterRunSummary {
  /** Checkpoints completed in this run, restores done, and the checkpoint it stopped at (if told to). */
  checkpoints: number;
  restores: number;
  stoppedAt?: number;
  /** Checkpoint ids this run resumed or restored from. */
  restoredFrom: number[];
}

/** Thrown out of a run attempt when a node of it is lost: the run restores from the last checkpoint. */
class NodeLost extends Error {}
/** Thrown when `stopAfterCheckpoint` is reached. */
class Stopped extends Error {}

interface Member extends MemberInfo {
  id: string;
  push: Push;
  out: SendQueue;
}

interface PendingCheckpoint {
  id: number;
  acks: BarrierAcks;
  states: KeyGroupState[];
  splitter: SplitterSnapshot;
  sources: Record<string, SourceOffset>;
  startedAt: number;
}

interface CompleteCheckpoint {
  id: number;
  states: KeyGroupState[];
  splitter: SplitterSnapshot;
  sources: Record<string, SourceOffset>;
}

/** One attempt of a run: a generation, its nodes and what they sent. */
interface Attempt {
  gen: number;
  nodes: string[];
  ready: Set<string>;
  done: Set<string>;
  inFlight: Map<string, InFlight>;
  /** Per node: its outputs by epoch (the id of the next checkpoint it has not acknowledged). */
  staged: Map<string, Map<number, Epoch>>;
  epochOf: Map<string, number>;
  pending: Map<number, PendingCheckpoint>;
  dicts: Map<string, DictionaryTable>;
  failure?: Error;
  /** Checkpoints are persisted one after the other, as their last ack arrives. */
  persist: Promise<void>;
  onAcked?: () => void;
}

/**
 * The coordinator, `tributary coordinator`: membership and heartbeats (ROUTER/DEALER), key-group
 * assignment, checkpoint barriers, restores, and status. Nodes join over the control socket; it
 * connects a PUSH to each node's data socket and reads the sources itself, sending every node its
 * rows of each batch (a keyed shuffle per lane), and collects the outputs on its sink.
 *
 * Exactly-once: barriers go in-band after the batches they follow; a node flushes its outputs, then
 * acknowledges with its key groups' states, so each output belongs to one epoch (the outputs
 * between two barriers). An epoch is committed when its checkpoint is complete; a lost node
 * rolls the run back to the last complete checkpoint, on the nodes left or on a replacement, and
 * the sources are read again from its offsets; uncommitted epochs are dropped, so nothing is lost
 * or counted twice.
 *
 * @example
 * const c = await Coordinator.start({ bind: 'tcp://127.0.0.1:*' });
 * // start nodes with --coordinator c.endpoint, then:
 * await c.run({ compiled, runtime, nodes: 3, open: () => sources, onOutput });
 * await c.close();
 */
export class Coordinator {
  private readonly members = new Map<string, Member>();
  private attempt: Attempt | undefined;
  private wake: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private lastCheckpoint: number | undefined;
  private onLost: ((node: string, reason: string) => void) | undefined;
  private runs = 0;
  private lastBeat = 0;
  private closed = false;

  private constructor(
    private readonly control: Router,
    private readonly controlOut: SendQueue,
    private readonly sink: Pull,
    readonly endpoint: string,
    readonly sinkEndpoint: string,
    private readonly keys: CurveKeys | undefined,
    private readonly zap: ZapHandler | undefined,
    private readonly health: HealthServer | undefined,
    private readonly opts: CoordinatorOptions,
  ) {
    this.timer = setInterval(() => this.checkHeartbeats(), 100);
    this.timer.unref();
    void this.controlLoop();
    void this.sinkLoop();
  }

  static async start(opts: CoordinatorOptions = {}): Promise<Coordinator> {
    const keys = opts.curveDir === undefined ? undefined : await loadCurveKeysIfPresent(opts.curveDir);
    const zap = keys === undefined ? undefined : await startZapHandler({ authorized: keys.authorized, ...(opts.log && { log: opts.log }) });
    const control = new Router({ linger: 0, mandatory: false });
    const sink = new Pull({ linger: 0, receiveHighWaterMark: 256 });
    if (keys !== undefined) {
      curveServer(control, keys);
      curveServer(sink, keys);
    }
    const bind = opts.bind ?? 'tcp://0.0.0.0:7600';
    await control.bind(bind);
    const bound = new URL(control.lastEndpoint!.replace(/^tcp:/, 'http:'));
    const sinkBind = opts.sinkBind ?? `tcp://${bound.hostname}:${bind.endsWith(':*') ? '*' : '7603'}`;
    await sink.bind(sinkBind);
    const sinkBound = new URL(sink.lastEndpoint!.replace(/^tcp:/, 'http:'));
    const host = opts.advertise ?? (bound.hostname === '0.0.0.0' ? '127.0.0.1' : bound.hostname);
    let self: Coordinator | undefined;
    const health =
      opts.healthPort === undefined
        ? undefined
        : await serveHealth(opts.healthPort, () => ({ ready: self !== undefined, detail: self?.status() ?? {} }));
    self = new Coordinator(control, new SendQueue(control), sink, control.lastEndpoint!, `tcp://${host}:${sinkBound.port}`, keys, zap, health, opts);
    return self;
  }

  /** Members, the current run, and the last complete checkpoint. */
  status(): Record<string, unknown> {
    const a = this.attempt;
    return {
      endpoint: this.endpoint,
      members: [...this.members.values()].map((m) => ({ id: m.id, data: m.data, lastSeenMsAgo: Date.now() - m.lastSeen })),
      run: a === undefined ? null : { gen: a.gen, nodes: a.nodes, ready: a.ready.size, done: a.done.size },
      lastCheckpoint: this.lastCheckpoint ?? null,
      runs: this.runs,
    };
  }

  /** Node ids that have joined and are alive. */
  get memberIds(): string[] {
    return [...this.members.keys()].sort();
  }

  /** Treat a node as lost now (its process was seen to exit), instead of waiting for its heartbeats to stop. */
  declareLost(node: string, reason: string): void {
    this.lose(node, reason);
  }

  async waitForMembers(n: number, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.members.size >= n) return this.memberIds;
      if (Date.now() > deadline) throw new Error(`only ${this.members.size} of ${n} nodes joined within ${timeoutMs / 1000} s`);
      await this.sleepOrWake(50);
    }
  }

  /** Tell every node to exit. */
  async stopNodes(reason: string): Promise<void> {
    for (const m of this.members.values()) await this.toNode(m.id, { type: 'stop', reason });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const m of this.members.values()) m.push.close();
    this.members.clear();
    this.control.close();
    this.sink.close();
    await this.zap?.close();
    await this.health?.close();
  }

  /** Run a feature set to the end of its sources, restoring from checkpoints when nodes are lost. */
  async run(job: ClusterJob): Promise<ClusterRunSummary> {
    this.runs++;
    const { compiled } = job;
    const sources = Object.keys(job.open(undefined));
    const plan = planLanes(compiled, sources);
    if ('unsupported' in plan) throw new Error(`cluster executor: ${plan.unsupported}`);
    const lanes = plan.lanes;
    const keyGroups = compiled.config.keyGroups ?? DEFAULT_KEY_GROUPS;
    const lanesHash = createHash('sha256').update(JSON.stringify(lanes)).digest('hex').slice(0, 16);
    const log = this.opts.log ?? (() => undefined);
    const summary: ClusterRunSummary = { checkpoints: 0, restores: 0, restoredFrom: [] };

    // Committed outputs: per lane, table and key group, in epoch order.
    const committed = new Map<string, { lane: number; table: string; group: number; batches: Batch[] }>();
    const committedRejections: Rejection[] = [];
    const commit = (e: Epoch) => {
      for (const o of e.outputs) {
        const k = `${o.lane}\u0000${o.table}\u0000${o.group}`;
        const c = committed.get(k);
        if (c === undefined) committed.set(k, { lane: o.lane, table: o.table, group: o.group, batches: [...o.batches] });
        else c.batches.push(...o.batches);
      }
      committedRejections.push(...e.rejections);
    };

    let last: CompleteCheckpoint | undefined;
    if (job.resume) {
      const manifest = await job.checkpoints?.latest();
      if (manifest === undefined) throw new Error('nothing to resume: no complete checkpoint of this feature set');
      if (manifest.lanesHash !== lanesHash) throw new Error(`checkpoint ${manifest.id} was taken by another version of the feature set (its lanes differ); run it afresh`);
      const cp = await job.checkpoints!.load(manifest.id);
      for await (const e of job.checkpoints!.epochs(manifest.id)) commit(e);
      last = { id: manifest.id, states: cp.states, splitter: cp.splitter, sources: cp.manifest.sources };
      log(`resuming from checkpoint ${manifest.id}`);
    } else await job.checkpoints?.clear();

    const liveDicts = new Set<Dictionary>();
    const reported: Record<string, number> = {};
    let nextCheckpoint = (last?.id ?? 0) + 1;
    let assignment: Assignment | undefined;
    let gen = this.runs * 1000;
    let splitter!: SourceSplitter;

    for (;;) {
      gen++;
      const nodes = await this.chooseNodes(job.nodes, summary.restores === 0 ? (job.waitForNodesMs ?? 30_000) : (job.restoreWaitMs ?? 10_000));
      assignment = assignment === undefined ? assign(keyGroups, nodes) : reassign(assignment, nodes).assignment;
      const a: Attempt = {
        gen,
        nodes: [...assignment.actors],
        ready: new Set(),
        done: new Set(),
        inFlight: new Map(nodes.map((n) => [n, { rows: 0, bytes: 0 }])),
        staged: new Map(nodes.map((n) => [n, new Map()])),
        epochOf: new Map(nodes.map((n) => [n, nextCheckpoint])),
        pending: new Map(),
        dicts: new Map(nodes.map((n) => [n, new DictionaryTable()])),
        persist: Promise.resolve(),
      };
      this.attempt = a;
      const complete = () =>
        this.completeCheckpoints(a, job, lanesHash, keyGroups, assignment!, commit, (cp) => {
          last = cp;
          summary.checkpoints++;
        });
      // As soon as a checkpoint's last ack is in (sinkLoop), not when the reader next looks.
      a.onAcked = () => {
        a.persist = a.persist.then(complete).catch((err: unknown) => {
          a.failure ??= err instanceof Error ? err : new Error(String(err));
          this.notify();
        });
      };
      this.onLost = (node, reason) => job.onEvent?.({ type: 'lost', node, reason });
      if (last !== undefined) summary.restoredFrom.push(last.id);
      job.onEvent?.({ type: 'started', gen, nodes: a.nodes, ...(last && { restoredFrom: last.id }) });
      log(`run ${gen} on ${a.nodes.join(', ')}${last ? `, from checkpoint ${last.id}` : ''}: ${a.nodes.map((n) => `${n} ${groupRanges(groupsOf(assignment!, n)).map(([x, y]) => (y - x > 1 ? `${x}..${y - 1}` : `${x}`)).join(',')}`).join('; ')}`);
      const owner = assignment.owner;
      const configBytes = serialize(compiled.config);
      try {
        for (const n of a.nodes) {
          const owned = groupsOf(assignment, n);
          const ownedSet = new Set(owned);
          const restore = (last?.states ?? []).filter((s) => ownedSet.has(s.group));
          const init: CoordinatorMessage = {
            type: 'init',
            gen,
            config: null,
            lanes,
            owned: Object.fromEntries(lanes.map((l) => [l.id, l.serial ? owned.filter((g) => g === 0) : owned])),
            restore: restore.map((s) => ({ lane: s.lane, group: s.group })),
          };
          await this.toNode(n, init, configBytes, ...restore.map((s) => s.bytes));
        }
        await this.waitFor(a, () => a.ready.size === a.nodes.length);

        splitter = new SourceSplitter(compiled, lanes, sources);
        if (last !== undefined) splitter.restore(last.splitter);
        const offsets: Record<string, SourceOffset> = {};
        for (const s of sources) offsets[s] = last?.sources[s] ?? { offset: 0, rows: 0 };
        let rowsSince = 0;
        let lastBarrier = Date.now();
        let seq = 0;
        const limits = job.flow ?? DEFAULT_FLOW_LIMITS;

        const step = async (source: string, b: Batch) => {
          if (a.failure !== undefined) throw a.failure;
          const { base, announce, groups } = splitter.split(source, b);
          const off = offsets[source]!;
          off.rows = base + b.length;
          off.offset = b.offsets !== undefined && b.length > 0 ? b.offsets[b.length - 1]! + 1 : off.rows;
          const seen = reported[source] ?? 0;
          if (job.onInput !== undefined && base + b.length > seen) job.onInput(source, base >= seen ? b : sliceBatch(b, seen - base, b.length));
          reported[source] = Math.max(seen, base + b.length);
          for (const c of Object.values(b.columns)) if (c.type === 'dictionary') liveDicts.add(c.dictionary);
          if (b.length > 0) await this.pushBatch(a, source, b, base, announce, groups, owner, seq++, limits);
          rowsSince += b.length;
          if (barrierDue(job.barrier ?? {}, rowsSince, Date.now() - lastBarrier)) {
            const id = nextCheckpoint++;
            a.pending.set(id, { id, acks: new BarrierAcks(id, a.nodes), states: [], splitter: splitter.snapshot(), sources: structuredClone(offsets), startedAt: Date.now() });
            for (const n of a.nodes) await this.toData(n, { type: 'barrier', gen, checkpoint: id });
            rowsSince = 0;
            lastBarrier = Date.now();
          }
          if (job.stopAfterCheckpoint !== undefined && last !== undefined && last.id >= job.stopAfterCheckpoint) throw new Stopped();
        };
        // Source batches go out in chunks, so flow control and barriers have a fine grain; a
        // batch's watermark goes with its last chunk, as the rows before it must not be judged by it.
        const chunk = job.chunkRows ?? 65_536;
        await interleave(job.open(last?.sources), async (source, b) => {
          if (b.length <= chunk) return step(source, b);
          for (let at = 0; at < b.length; at += chunk) {
            const part = sliceBatch(b, at, Math.min(b.length, at + chunk));
            if (at + chunk >= b.length || part.watermark === undefined) await step(source, part);
            else {
              const { watermark: _w, ...rest } = part;
              await step(source, rest);
            }
          }
        });
        const watermarks = Object.fromEntries(Object.entries(splitter.positions).map(([s, p]) => [s, Math.max(p.maxTime - p.lateness, p.announced)]));
        for (const n of a.nodes) await this.toData(n, { type: 'end', gen, watermarks });
        await this.waitFor(a, () => a.done.size === a.nodes.length);
        await a.persist;
        await complete();
        if (job.stopAfterCheckpoint !== undefined && last !== undefined && last.id >= job.stopAfterCheckpoint) throw new Stopped();
        // Everything after the last complete checkpoint: the final epoch of every node.
        for (const n of a.nodes) for (const e of a.staged.get(n)!.values()) commit(e);
        job.onEvent?.({ type: 'finished', gen });
        break;
      } catch (err) {
        // A checkpoint being persisted finishes first: `last` must not move under the restore.
        await a.persist;
        if (err instanceof Stopped) {
          summary.stoppedAt = last!.id;
          this.attempt = undefined;
          job.onEvent?.({ type: 'stopped', checkpoint: last!.id });
          log(`stopped at checkpoint ${last!.id}`);
          return summary;
        }
        if (!(err instanceof NodeLost)) {
          this.attempt = undefined;
          throw err;
        }
        summary.restores++;
        log(`run ${gen}: ${err.message}; restoring from ${last ? `checkpoint ${last.id}` : 'the start'}`);
        // The lost attempt's uncommitted outputs are dropped; the sources are read again from `last`.
        nextCheckpoint = (last?.id ?? 0) + 1;
      }
    }
    this.attempt = undefined;
    this.onLost = undefined;
    await job.checkpoints?.dropEpochs();

    // Merge: per lane and table, one part per key group (each in its own output order).
    const collected = lanes.map(() => new Map<string, Batch[][]>());
    const byTable = new Map<string, { lane: number; table: string; group: number; batches: Batch[] }[]>();
    for (const c of committed.values()) {
      const k = `${c.lane}\u0000${c.table}`;
      byTable.set(k, [...(byTable.get(k) ?? []), c]);
    }
    for (const parts of byTable.values()) {
      parts.sort((x, y) => x.group - y.group);
      const flat = unifyDictionaries(parts.flatMap((p) => p.batches), (d) => liveDicts.has(d));
      let at = 0;
      collected[parts[0]!.lane]!.set(
        parts[0]!.table,
        parts.map((p) => flat.slice(at, (at += p.batches.length))),
      );
    }
    mergeLaneOutputs(compiled, lanes, collected, splitter.positions, splitter.keyOrders, job.onOutput, 65_536);
    committedRejections.sort((x, y) => (x.offset ?? 0) - (y.offset ?? 0) || x.time - y.time);
    for (const r of committedRejections) job.runtime.step(r.step, r.source).reject({ time: r.time, reason: r.reason, ...(r.offset !== undefined && { offset: r.offset }) });
    return summary;
  }

  /** The nodes to run on: `wanted` of them, or after `waitMs` those there (at least one, waiting 30 s more for it). */
  private async chooseNodes(wanted: number, waitMs: number): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const chosen = chooseMembers(this.memberIds, wanted, Date.now(), deadline);
      if (chosen !== undefined) return chosen;
      if (Date.now() > deadline + 30_000) throw new Error(`no node joined within ${waitMs / 1000 + 30} s`);
      await this.sleepOrWake(50);
    }
  }

  /** Persist and commit every checkpoint whose acks are all in, in id order. */
  private async completeCheckpoints(
    a: Attempt,
    job: ClusterJob,
    lanesHash: string,
    keyGroups: number,
    assignment: Assignment,
    commit: (e: Epoch) => void,
    onComplete: (cp: CompleteCheckpoint) => void,
  ): Promise<void> {
    for (;;) {
      if (this.attempt !== a) return;
      const first = [...a.pending.keys()].sort((x, y) => x - y)[0];
      if (first === undefined) return;
      const p = a.pending.get(first)!;
      if (!p.acks.complete) return;
      a.pending.delete(first);
      const epoch: Epoch = { outputs: [], rejections: [] };
      for (const n of a.nodes) {
        const e = a.staged.get(n)!.get(p.id);
        a.staged.get(n)!.delete(p.id);
        if (e === undefined) continue;
        epoch.outputs.push(...e.outputs);
        epoch.rejections.push(...e.rejections);
      }
      const bytes = p.states.reduce((s, x) => s + x.bytes.length, 0);
      const manifest: CheckpointManifest = {
        id: p.id,
        featureSet: job.compiled.config.name,
        lanesHash,
        createdAt: new Date().toISOString(),
        sources: p.sources,
        nodes: Object.fromEntries(a.nodes.map((n) => [n, groupsOf(assignment, n)])),
        keyGroups,
        states: p.states.length,
        bytes,
      };
      if (job.checkpoints !== undefined) {
        await job.checkpoints.write({ manifest, states: p.states, splitter: p.splitter }, epoch);
        await job.checkpoints.prune(job.keepCheckpoints ?? 3);
      }
      commit(epoch);
      this.lastCheckpoint = p.id;
      onComplete({ id: p.id, states: p.states, splitter: p.splitter, sources: p.sources });
      job.onEvent?.({ type: 'checkpoint', id: p.id, rows: Object.values(p.sources).reduce((s, x) => s + x.rows, 0), bytes, ms: Date.now() - p.startedAt });
    }
  }

  /** Every node's rows of one source batch: the union of its rows over the source's lanes, in one message. */
  private async pushBatch(
    a: Attempt,
    source: string,
    b: Batch,
    base: number,
    announce: Float64Array,
    groups: Map<number, Int32Array>,
    owner: Int32Array,
    seq: number,
    limits: FlowLimits,
  ): Promise<void> {
    const count = a.nodes.length;
    const perLane = [...groups].map(([lane, g]) => ({ lane, g, split: partitionRows(g, owner, count) }));
    const mark = new Int32Array(b.length);
    for (let k = 0; k < count; k++) {
      const node = a.nodes[k]!;
      mark.fill(-1);
      let unionSize = 0;
      for (const { split } of perLane) for (let i = split.offsets[k]!; i < split.offsets[k + 1]!; i++) mark[split.rows[i]!] = 0;
      for (let r = 0; r < b.length; r++) if (mark[r] === 0) mark[r] = unionSize++;
      if (unionSize === 0) continue;
      const union = new Int32Array(unionSize);
      for (let r = 0; r < b.length; r++) if (mark[r]! >= 0) union[mark[r]!] = r;
      const rowNumbers = new Float64Array(unionSize);
      for (let i = 0; i < unionSize; i++) rowNumbers[i] = base + union[i]!;
      const ann: number[] = [];
      for (let i = 0; i < announce.length; i += 2) {
        const u = mark[announce[i]!]!;
        if (u >= 0) ann.push(u, announce[i + 1]!);
      }
      const binaries: ArrayBufferView[] = [];
      const laneFrames: { lane: number; rows: number; groups: number }[] = [];
      for (const { lane, g, split } of perLane) {
        const from = split.offsets[k]!;
        const to = split.offsets[k + 1]!;
        const rows = new Int32Array(to - from);
        const gs = new Int32Array(to - from);
        for (let i = from; i < to; i++) {
          const r = split.rows[i]!;
          rows[i - from] = mark[r]!;
          gs[i - from] = g[r]!;
        }
        laneFrames.push({ lane, rows: 4 + binaries.length, groups: 5 + binaries.length });
        binaries.push(rows, gs);
      }
      const sub = unionSize === b.length ? b : takeBatch(b, union);
      const dicts = a.dicts.get(node)!;
      const dictionaries = dicts.deltas(sub);
      const { ipc, meta } = encodeBatch(sub, dicts, true);
      const bytes = ipc.byteLength;
      const next = { rows: unionSize, bytes };
      const inFlight = a.inFlight.get(node)!;
      await this.waitFor(a, () => mayPush(inFlight, next, limits));
      inFlight.rows += unionSize;
      inFlight.bytes += bytes;
      const m: DataMessage = { type: 'batch', gen: a.gen, seq, source, dictionaries, meta, lanes: laneFrames, rows: unionSize, bytes };
      await this.toData(node, m, ipc, rowNumbers, Float64Array.from(ann), ...binaries);
    }
  }

  private async toNode(node: string, m: CoordinatorMessage, ...binary: ArrayBufferView[]): Promise<void> {
    await this.controlOut.send([Buffer.from(node), ...frames(m, ...binary)]);
  }

  private async toData(node: string, m: DataMessage, ...binary: ArrayBufferView[]): Promise<void> {
    const member = this.members.get(node);
    if (member === undefined) {
      const a = this.attempt;
      if (a !== undefined && a.nodes.includes(node)) throw (a.failure ??= new NodeLost(`node ${node} is gone`));
      return;
    }
    try {
      await member.out.send(frames(m, ...binary));
    } catch (err) {
      // A send fails when the node's socket was closed (it was lost) or stayed full past the timeout.
      const a = this.attempt;
      if (a?.failure !== undefined) throw a.failure;
      this.lose(node, `cannot send to it: ${err instanceof Error ? err.message : String(err)}`);
      throw a?.failure ?? err;
    }
  }

  /** Wait until `cond` holds; a failure of the attempt (a lost node) is thrown. */
  private async waitFor(a: Attempt, cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (a.failure !== undefined) throw a.failure;
      await this.sleepOrWake(200);
    }
    if (a.failure !== undefined) throw a.failure;
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private notify(): void {
    this.wake?.();
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const id of expiredMembers(this.members, now, this.opts.heartbeatTimeoutMs ?? 10_000)) this.lose(id, 'missed its heartbeats');
    // Beat back once a second, so a node whose coordinator is gone notices and stops.
    if (now - this.lastBeat >= 1000) {
      this.lastBeat = now;
      for (const id of this.members.keys()) void this.toNode(id, { type: 'heartbeat' }).catch(() => undefined);
    }
  }

  private lose(id: string, reason: string): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    this.members.delete(id);
    m.push.close();
    (this.opts.log ?? (() => undefined))(`node ${id} lost: ${reason}`);
    this.onLost?.(id, reason);
    const a = this.attempt;
    if (a !== undefined && a.nodes.includes(id)) a.failure ??= new NodeLost(`node ${id} lost (${reason})`);
    this.notify();
  }

  private async controlLoop(): Promise<void> {
    try {
      await receiveLoop(this.control, async ([routing, ...msg]) => {
        let m: NodeMessage;
        try {
          m = header<NodeMessage>(msg[0]);
        } catch {
          return;
        }
        if ((m as { type: string }).type === 'status') {
          await this.controlOut.send([routing!, Buffer.from(JSON.stringify({ type: 'status', ...this.status() }))]);
          return;
        }
        const member = this.members.get(m.node);
        if (m.type === 'hello') {
          if (member !== undefined && member.pid === m.pid && member.data === m.data) {
            // The same process saying hello twice (a retry): welcome it again, nothing changes.
            member.lastSeen = Date.now();
            await this.toNode(m.node, { type: 'welcome', sink: this.sinkEndpoint, heartbeatMs: 250 });
            return;
          }
          if (member !== undefined) this.lose(m.node, 'joined again (restarted)');
          const push = new Push({ linger: 0, sendHighWaterMark: 64, sendTimeout: 10_000 });
          // The coordinator is the CURVE server on every connection, so its ZAP handler vets every node.
          if (this.keys !== undefined) curveServer(push, this.keys);
          push.connect(m.data);
          this.members.set(m.node, { id: m.node, data: m.data, lastSeen: Date.now(), pid: m.pid, push, out: new SendQueue(push) });
          await this.toNode(m.node, { type: 'welcome', sink: this.sinkEndpoint, heartbeatMs: 250 });
          (this.opts.log ?? (() => undefined))(`node ${m.node} joined (data ${m.data})`);
        } else if (member === undefined) {
          // A node we declared lost (or never met) speaks: it must say hello again to rejoin.
          await this.controlOut.send([routing!, ...frames({ type: 'rejoin' } satisfies CoordinatorMessage)]);
          return;
        } else if (m.type === 'leave') {
          this.lose(m.node, 'it is shutting down');
        } else {
          member.lastSeen = Date.now();
          const a = this.attempt;
          if (a !== undefined && 'gen' in m && m.gen === a.gen) {
            if (m.type === 'ready') a.ready.add(m.node);
            else if (m.type === 'credit') {
              const f = a.inFlight.get(m.node);
              if (f !== undefined) (f.rows -= m.rows), (f.bytes -= m.bytes);
            } else if (m.type === 'failed') a.failure ??= new Error(`node ${m.node}: ${m.message}`);
          }
        }
        this.notify();
      });
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  private async sinkLoop(): Promise<void> {
    try {
      await receiveLoop(this.sink, (msg) => {
        const m = header<SinkMessage>(msg[0]);
        const a = this.attempt;
        if (a === undefined || m.gen !== a.gen || !a.nodes.includes(m.node)) return;
        const member = this.members.get(m.node);
        if (member !== undefined) member.lastSeen = Date.now();
        const staged = a.staged.get(m.node)!;
        const epochId = a.epochOf.get(m.node)!;
        let epoch = staged.get(epochId);
        if (epoch === undefined) staged.set(epochId, (epoch = { outputs: [], rejections: [] }));
        if (m.type === 'output') {
          const dicts = a.dicts.get(m.node)!;
          m.parts.forEach((p, i) => {
            const out: KeyGroupOutput = { lane: p.lane, table: p.table, group: p.group, batches: [decodeBatch(bytesFrame(msg[i + 1]), p.meta, dicts)] };
            epoch!.outputs.push(out);
          });
        } else if (m.type === 'reject') epoch.rejections.push(...m.rejections);
        else if (m.type === 'ack') {
          const p = a.pending.get(m.checkpoint);
          if (p !== undefined) {
            m.states.forEach((s, i) => p.states.push({ ...s, bytes: new Uint8Array(bytesFrame(msg[i + 1])) }));
            if (p.acks.ack(m.node)) a.onAcked?.();
          }
          a.epochOf.set(m.node, m.checkpoint + 1);
        } else if (m.type === 'done') a.done.add(m.node);
        this.notify();
      });
    } catch (err) {
      if (!this.closed) throw err;
    }
  }
}
