/** When the coordinator injects a checkpoint barrier at the sources. */
export interface BarrierPolicy {
  /** After this many rows read since the last barrier (default 500,000). */
  everyRows?: number;
  /** Or after this many ms since the last barrier (default 10,000). */
  everyMs?: number;
}

/**
 * Whether to inject a barrier now, given what was read since the last one. Pure: the coordinator
 * asks it between batches.
 *
 * @example
 * barrierDue({ everyRows: 1000 }, 1200, 5); // true
 */
export function barrierDue(policy: BarrierPolicy, rowsSince: number, msSince: number): boolean {
  if (rowsSince === 0) return false;
  return rowsSince >= (policy.everyRows ?? 500_000) || msSince >= (policy.everyMs ?? 10_000);
}

/**
 * The acknowledgements of one checkpoint: it is complete when every node of the run has
 * acknowledged it (each after snapshotting its key groups with the barrier's source offsets).
 */
export class BarrierAcks {
  private readonly waiting: Set<string>;

  constructor(
    readonly checkpoint: number,
    nodes: readonly string[],
  ) {
    this.waiting = new Set(nodes);
  }

  /** Record a node's ack; true when that completes the checkpoint. */
  ack(node: string): boolean {
    this.waiting.delete(node);
    return this.waiting.size === 0;
  }

  get complete(): boolean {
    return this.waiting.size === 0;
  }

  get missing(): string[] {
    return [...this.waiting].sort();
  }
}
