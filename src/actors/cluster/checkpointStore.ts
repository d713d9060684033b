import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary, type DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { Rejection } from '../../pipelines/runtime/context.js';
import { writeFileAtomic } from '../../store/writeFileAtomic.js';
import type { SplitterSnapshot } from '../lanes/sourceSplitter.js';
import type { KeyGroupOutput, KeyGroupState } from './keyGroupActor.js';

/** What a complete checkpoint records (manifest.json); written last, so its presence means complete. */
export interface CheckpointManifest {
  id: number;
  /** The feature set, and a hash of its lanes: a checkpoint restores only into the same pipeline. */
  featureSet: string;
  lanesHash: string;
  createdAt: string;
  /** Per source: the log offset of the next row to read, and rows read (the stream position). */
  sources: Record<string, { offset: number; rows: number }>;
  /** The nodes that acknowledged it, and the key groups each held. */
  nodes: Record<string, number[]>;
  keyGroups: number;
  /** Key-group states stored, and their bytes. */
  states: number;
  bytes: number;
}

/** A checkpoint with everything needed to restore from it. */
export interface Checkpoint {
  manifest: CheckpointManifest;
  states: KeyGroupState[];
  splitter: SplitterSnapshot;
}

/** The outputs committed by one checkpoint (everything the actors emitted before its barrier). */
export interface Epoch {
  outputs: KeyGroupOutput[];
  rejections: Rejection[];
}

const CP = /^cp-(\d{6,})$/;
const name = (id: number) => `cp-${String(id).padStart(6, '0')}`;
const epochName = (id: number) => `epoch-${String(id).padStart(6, '0')}.bin`;

/**
 * Checkpoints of one feature set in `<dataDir>/checkpoints/<featureSet>/`: one folder per
 * checkpoint (`cp-000007/`: states.bin, coordinator.bin, then manifest.json, written last), and the
 * outputs each checkpoint committed (`epochs/epoch-000007.bin`), so a run resumed from checkpoint 7
 * starts with everything emitted before its barrier. Checkpoints are kept and pruned; epochs stay
 * until the run that made them finishes.
 *
 * @example
 * const store = new CheckpointStore('data', 'payments');
 * const latest = await store.latest();        // undefined before the first checkpoint
 * (await store.list()).map((m) => m.id);
 * await store.prune(3);                       // keep the 3 newest
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(dataDir: string, featureSet: string) {
    this.dir = join(dataDir, 'checkpoints', featureSet);
  }

  async write(cp: Checkpoint, epoch: Epoch): Promise<void> {
    const dir = join(this.dir, name(cp.manifest.id));
    await mkdir(join(this.dir, 'epochs'), { recursive: true });
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(this.dir, 'epochs', epochName(cp.manifest.id)), encodeEpoch(epoch));
    const states = serialize(cp.states.map((s) => ({ lane: s.lane, group: s.group, bytes: s.bytes })));
    await writeFileAtomic(join(dir, 'states.bin'), states);
    await writeFileAtomic(join(dir, 'coordinator.bin'), serialize(cp.splitter));
    await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify({ ...cp.manifest, bytes: states.length }, null, 2)}\n`);
  }

  /** Complete checkpoints, oldest first. */
  async list(): Promise<CheckpointManifest[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: CheckpointManifest[] = [];
    for (const e of entries) {
      if (!CP.test(e)) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, e, 'manifest.json'), 'utf8')) as CheckpointManifest);
      } catch {
        // No manifest: the checkpoint never completed.
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async latest(): Promise<CheckpointManifest | undefined> {
    return (await this.list()).at(-1);
  }

  async load(id: number): Promise<Checkpoint> {
    const dir = join(this.dir, name(id));
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    const states = (deserialize(await readFile(join(dir, 'states.bin'))) as KeyGroupState[]).map((s) => ({ ...s, bytes: new Uint8Array(s.bytes) }));
    const splitter = deserialize(await readFile(join(dir, 'coordinator.bin'))) as SplitterSnapshot;
    return { manifest, states, splitter };
  }

  /** The committed outputs of epochs 1..upTo, in order. */
  async *epochs(upTo: number): AsyncIterable<Epoch> {
    for (let id = 1; id <= upTo; id++) {
      const file = join(this.dir, 'epochs', epochName(id));
      try {
        await stat(file);
      } catch {
        continue;
      }
      yield decodeEpoch(await readFile(file));
    }
  }

  /** Remove all but the `keep` newest complete checkpoints, and any incomplete one older than them. Returns the ids removed. */
  async prune(keep: number): Promise<number[]> {
    if (!(keep >= 1)) throw new Error(`keep must be at least 1, got ${keep}`);
    const complete = await this.list();
    const kept = new Set(complete.slice(-keep).map((m) => m.id));
    const oldestKept = Math.min(...kept);
    const removed: number[] = [];
    let entries: string[] = [];
    try {
      entries = await readdir(this.dir);
    } catch {
      return [];
    }
    for (const e of entries) {
      const m = CP.exec(e);
      if (m === null) continue;
      const id = Number(m[1]);
      if (kept.has(id) || id > oldestKept) continue;
      await rm(join(this.dir, e), { recursive: true, force: true });
      removed.push(id);
    }
    return removed.sort((a, b) => a - b);
  }

  /** Forget the committed outputs (the run that made them has written its tables). */
  async dropEpochs(): Promise<void> {
    await rm(join(this.dir, 'epochs'), { recursive: true, force: true });
  }

  /** Remove every checkpoint and epoch (a fresh run). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Batches with each distinct dictionary stored once, by index (v8 keeps the typed arrays as they are). */
function encodeEpoch(e: Epoch): Uint8Array {
  const dicts = new Map<Dictionary, number>();
  const values: DictionaryValue[][] = [];
  const plain = (b: Batch) => {
    const columns: Record<string, unknown> = {};
    for (const [n, c] of Object.entries(b.columns)) {
      if (c.type !== 'dictionary') {
        columns[n] = c;
        continue;
      }
      let id = dicts.get(c.dictionary);
      if (id === undefined) {
        id = values.length;
        dicts.set(c.dictionary, id);
        values.push([...c.dictionary.values]);
      }
      columns[n] = { ...c, dictionary: id };
    }
    return { ...b, columns };
  };
  const outputs = e.outputs.map((o) => ({ ...o, batches: o.batches.map(plain) }));
  return serialize({ values, outputs, rejections: e.rejections });
}

function decodeEpoch(bytes: Uint8Array): Epoch {
  const raw = deserialize(bytes) as { values: DictionaryValue[][]; outputs: (Omit<KeyGroupOutput, 'batches'> & { batches: Batch[] })[]; rejections: Rejection[] };
  const dicts = raw.values.map((v) => new Dictionary(v));
  const outputs = raw.outputs.map((o) => ({
    ...o,
    batches: o.batches.map((b) => {
      const columns: Record<string, Column> = {};
      for (const [n, c] of Object.entries(b.columns)) {
        columns[n] = c.type === 'dictionary' ? ({ ...c, dictionary: dicts[c.dictionary as unknown as number]! } as Column) : c;
      }
      return { ...b, columns };
    }),
  }));
  return { outputs, rejections: raw.rejections };
}
