import type { Rejection } from '../../pipelines/runtime/context.js';
import type { DictionaryDelta, WireBatch } from './wire.js';

/** Hidden column carrying each row's number in its source stream, so the main thread can restore the local order. */
export const ROW_COLUMN = '__tributary_row';

/**
 * A lane: the features of one source that share one key. A lane's rows are split by the key group
 * of that key, so every worker sees all events of the keys it owns; features keyed differently
 * from each other are in different lanes (each lane is its own keyed shuffle of the source).
 */
export interface LaneSpec {
  id: number;
  source: string;
  key: string[];
  /** Feature names computed in this lane (every name of its nodes). */
  features: string[];
  /** Whether it has point-in-time features (it then produces the source's events rows). */
  pointInTime: boolean;
  /** The first point-in-time lane of its source: its events rows carry the source columns, and its late events are reported. */
  primary: boolean;
  /** Its state spans keys (see crossKeyState): every row goes to the owner of key group 0. */
  serial: boolean;
}

export interface WorkerInit {
  /** The FeatureSetConfig (structured clone): each worker compiles its lanes from it. */
  config: unknown;
  lanes: LaneSpec[];
}

export type FromMain =
  | {
      type: 'batch';
      seq: number;
      source: string;
      /** Row number in the source stream of the batch's first row. */
      base: number;
      batch: WireBatch;
      dictionaries: DictionaryDelta[];
      /** This worker's rows of the batch, per lane id (ascending, over a SharedArrayBuffer). */
      rows: Record<number, Int32Array>;
      /** (row, watermark) pairs: rows behind the source's watermark, and the watermark before them. */
      announce: Float64Array;
    }
  | { type: 'end' }
  /** Start a run: compile the lanes (a worker is reused across runs). */
  | { type: 'init'; init: WorkerInit };

export type ToMain =
  | { type: 'ready' }
  | { type: 'ack'; seq: number }
  | { type: 'output'; lane: number; table: string; batch: WireBatch }
  | { type: 'reject'; rejection: Rejection }
  | { type: 'done' }
  | { type: 'error'; message: string; stack?: string };
