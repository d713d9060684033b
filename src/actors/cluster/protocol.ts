import type { Rejection } from '../../pipelines/runtime/context.js';
import type { LaneSpec } from '../lanes/planLanes.js';
import type { DictionaryDelta } from '../threads/wire.js';
import type { BatchMeta } from './batchFrames.js';

/*
 * The cluster's messages. Every message is a ZeroMQ multipart message: a JSON header, then binary
 * frames (Arrow IPC bytes, typed arrays, state snapshots) that the header refers to by index.
 * `gen` is the run generation: it grows at every restore, and anything of an older one is ignored,
 * so a slow or half-dead node cannot mix old outputs into a restored run.
 *
 * control   node DEALER  ⇄ coordinator ROUTER   membership, heartbeats, init/restore, credits
 * data      coordinator PUSH → node PULL        the keyed shuffle: batches, barriers, end
 * sink      node PUSH → coordinator PULL        outputs, late events, barrier acks with state, done
 */

/** node → coordinator, on control. */
export type NodeMessage =
  | { type: 'hello'; node: string; data: string; pid: number }
  | { type: 'heartbeat'; node: string }
  | { type: 'ready'; node: string; gen: number }
  /** Processed: rows and bytes of data messages, returned as credit (flow control). */
  | { type: 'credit'; node: string; gen: number; rows: number; bytes: number }
  | { type: 'failed'; node: string; gen: number; message: string }
  /** The node is shutting down (SIGTERM): restore its key groups now, not after its heartbeats stop. */
  | { type: 'leave'; node: string };

/** coordinator → node, on control. Restored key-group states follow as frames 1..n. */
export type CoordinatorMessage =
  | { type: 'welcome'; sink: string; heartbeatMs: number }
  | {
      type: 'init';
      gen: number;
      /** The FeatureSetConfig (JSON). */
      config: unknown;
      lanes: LaneSpec[];
      /** Key groups this node owns, per lane id. */
      owned: Record<number, number[]>;
      /** Frame i+1 is the state of restore[i]. */
      restore: { lane: number; group: number }[];
    }
  /** The coordinator is alive (once a second). */
  | { type: 'heartbeat' }
  /** The coordinator does not know this node (it was declared lost): say hello again. */
  | { type: 'rejoin' }
  | { type: 'stop'; reason: string };

/** coordinator → node, on data. */
export type DataMessage =
  | {
      type: 'batch';
      gen: number;
      seq: number;
      source: string;
      dictionaries: DictionaryDelta[];
      meta: BatchMeta;
      /** Frame 1: Arrow IPC of this node's rows; frame 2: their row numbers (Float64); frame 3: announce pairs (Float64). */
      /** Per lane: frame indexes of row indexes (Int32) and key groups (Int32). */
      lanes: { lane: number; rows: number; groups: number }[];
      rows: number;
      bytes: number;
    }
  | { type: 'barrier'; gen: number; checkpoint: number }
  /** The sources' final watermarks: each instance is brought to them before it flushes, as one thread over all keys would be. */
  | { type: 'end'; gen: number; watermarks: Record<string, number> };

/** node → coordinator, on sink. */
export type SinkMessage =
  /** Frame i+1 holds parts[i]'s Arrow IPC. */
  | { type: 'output'; node: string; gen: number; parts: { lane: number; table: string; group: number; meta: BatchMeta }[] }
  | { type: 'reject'; node: string; gen: number; rejections: Rejection[] }
  /** Frame i+1 holds states[i]'s snapshot. Sent after every output before the barrier. */
  | { type: 'ack'; node: string; gen: number; checkpoint: number; states: { lane: number; group: number }[] }
  | { type: 'done'; node: string; gen: number };

/** A message as frames: the JSON header first. */
export function frames(header: object, ...binary: ArrayBufferView[]): Buffer[] {
  return [Buffer.from(JSON.stringify(header)), ...binary.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
}

export function header<T>(frame: Buffer | undefined): T {
  if (frame === undefined) throw new Error('empty cluster message');
  return JSON.parse(frame.toString('utf8')) as T;
}

/** A typed view of a frame, copied when the frame is not aligned for it. */
export function int32Frame(f: Buffer | undefined): Int32Array {
  if (f === undefined) return new Int32Array(0);
  if (f.byteOffset % 4 === 0) return new Int32Array(f.buffer, f.byteOffset, f.byteLength >> 2);
  return new Int32Array(new Uint8Array(f).buffer);
}

export function float64Frame(f: Buffer | undefined): Float64Array {
  if (f === undefined) return new Float64Array(0);
  if (f.byteOffset % 8 === 0) return new Float64Array(f.buffer, f.byteOffset, f.byteLength >> 3);
  return new Float64Array(new Uint8Array(f).buffer);
}

/** Bytes of a frame as a Uint8Array over its own (aligned) buffer. */
export function bytesFrame(f: Buffer | undefined): Uint8Array {
  if (f === undefined) return new Uint8Array(0);
  return f.byteOffset % 8 === 0 ? new Uint8Array(f.buffer, f.byteOffset, f.byteLength) : new Uint8Array(f);
}
