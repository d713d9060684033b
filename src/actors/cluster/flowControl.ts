/** Rows and bytes a node was sent and has not yet reported processed. */
export interface InFlight {
  rows: number;
  bytes: number;
}

/** How much may be in flight to one node. */
export interface FlowLimits {
  rows: number;
  bytes: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = { rows: 1_000_000, bytes: 64 * 1024 * 1024 };

/**
 * Whether another message of `next` rows and bytes may go to a node with `inFlight` outstanding.
 * Flow control counts rows and bytes, not messages, so a few huge batches and many small ones are
 * held back alike. A message larger than the limit on its own still goes when nothing is in
 * flight, so an oversized batch cannot stall the stream.
 *
 * @example
 * mayPush({ rows: 0, bytes: 0 }, { rows: 5e6, bytes: 1 }, DEFAULT_FLOW_LIMITS); // true: nothing outstanding
 */
export function mayPush(inFlight: InFlight, next: InFlight, limits: FlowLimits): boolean {
  if (inFlight.rows === 0 && inFlight.bytes === 0) return true;
  return inFlight.rows + next.rows <= limits.rows && inFlight.bytes + next.bytes <= limits.bytes;
}
