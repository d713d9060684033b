/** What the coordinator knows of a node. */
export interface MemberInfo {
  /** The endpoint of the node's PULL data socket, which the coordinator's PUSH connects to. */
  data: string;
  /** When the node was last heard from (any control message), ms. */
  lastSeen: number;
  pid?: number;
}

/**
 * The nodes that missed their heartbeats: silent for longer than `timeoutMs` at `now`. Pure, so
 * the failure detector is tested without sockets or clocks.
 *
 * @example
 * expiredMembers(new Map([['n1', { data: 'tcp://…', lastSeen: 0 }]]), 5_000, 3_000); // ['n1']
 */
export function expiredMembers(members: ReadonlyMap<string, MemberInfo>, now: number, timeoutMs: number): string[] {
  const out: string[] = [];
  for (const [id, m] of members) if (now - m.lastSeen > timeoutMs) out.push(id);
  return out.sort();
}

/**
 * Which nodes a run (or a restore) goes on with: the live members, once at least `wanted` of them
 * are there, or once `deadline` passed with at least one. Undefined means keep waiting.
 */
export function chooseMembers(live: readonly string[], wanted: number, now: number, deadline: number): string[] | undefined {
  const sorted = [...live].sort();
  if (sorted.length >= wanted) return sorted.slice(0, Math.max(wanted, 1));
  if (now >= deadline && sorted.length > 0) return sorted;
  return undefined;
}
