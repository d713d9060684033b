import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../data/batch.js';
import { KeySpace } from '../data/keySpace.js';
import type { StepContext } from '../runtime/context.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

/** A batch with the key code of every row, and the key space that decodes them. */
export interface KeyedBatch extends Batch {
  readonly keys: Int32Array;
  readonly keySpace: KeySpace;
}

/**
 * Give every row the dense int32 code of its key tuple. No column means one global group.
 * The key space is state: codes must stay the same across batches and checkpoints.
 *
 * @example
 * events$.pipe(keyBy(ctx, ['card_id']))
 */
export function keyBy(ctx: StepContext, columns: readonly string[]): OperatorFunction<Batch, KeyedBatch> {
  return statefulOperator(ctx, 'keys', () => new KeyByState(columns));
}

class KeyByState implements StepState<Batch, KeyedBatch> {
  private readonly space: KeySpace;
  constructor(columns: readonly string[]) {
    this.space = new KeySpace(columns);
  }
  push(b: Batch): KeyedBatch {
    return { ...b, keys: b.length === 0 ? new Int32Array(0) : this.space.encode(b), keySpace: this.space };
  }
  /** An empty keyed batch at the end, so steps that emit on completion can decode keys even if nothing came after a restore. */
  finish(): KeyedBatch {
    return { length: 0, time: new Float64Array(0), columns: {}, keys: new Int32Array(0), keySpace: this.space };
  }
  snapshot(): unknown {
    return this.space.snapshot();
  }
  restore(s: unknown): void {
    this.space.restore(s);
  }
}
