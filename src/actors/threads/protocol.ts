import type { Rejection } from '../../pipelines/runtime/context.js';
import type { LaneSpec } from '../lanes/planLanes.js';
import type { RowOutputLayout, RowProgress } from './rowOutputs.js';
import type { DictionaryDelta, WireBatch } from './wire.js';

export { ROW_COLUMN, type LaneSpec } from '../lanes/planLanes.js';

export interface WorkerInit {
  /** The FeatureSetConfig (structured clone): each worker compiles its lanes from it. */
  config: unknown;
  lanes: LaneSpec[];
  /** Where the point-in-time lanes write their events rows (see rowOutputs.ts). */
  layout: RowOutputLayout;
  keyGroups: number;
  /** Worker index owning each key group. */
  owner: Int32Array;
  /** This worker's index, of `workers`. */
  index: number;
  workers: number;
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
      /** (row, watermark) pairs: rows behind the source's watermark, and the watermark before them. */
      announce: Float64Array;
      /** The batch's output segment, when the source has an events table. */
      segment?: SharedArrayBuffer;
      /** Rows of the source below this one are emitted: their segments can be forgotten. */
      doneBelow?: number;
    }
  | { type: 'end' }
  /** Start a run: compile the lanes (a worker is reused across runs). */
  | { type: 'init'; init: WorkerInit };

export type ToMain =
  | { type: 'ready' }
  | { type: 'ack'; seq: number; progress?: RowProgress }
  /** A windowed table's rows (events rows go into the output segments instead). */
  | { type: 'output'; lane: number; table: string; batch: WireBatch }
  | { type: 'reject'; rejection: Rejection }
  | { type: 'done'; progress?: RowProgress }
  | { type: 'error'; message: string; stack?: string };
