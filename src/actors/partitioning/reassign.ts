import { canonicalActors } from './actorOrder.js';
import { countsOf, type Assignment } from './assignment.js';

/** One key group changing owner: `from` snapshots (or has lost) its state, `to` restores it. */
export interface Move {
  group: number;
  from: string;
  to: string;
}

export interface Reassignment {
  assignment: Assignment;
  /** Ascending by group. Empty when nothing changes. */
  moves: Move[];
}

/**
 * A new assignment for a new set of actors (some joined, some left), balanced within one group,
 * that moves as few key groups as possible, and the moves.
 *
 * Moving a key group is expensive (its state is snapshotted, shipped and restored), so this keeps
 * every group that can stay where it is:
 * 1. targets: with n groups and k actors, `n mod k` actors get ⌈n/k⌉ and the rest ⌊n/k⌋. The larger
 *    targets go to the actors that already own the most (ties: canonical order), which maximises the
 *    groups that stay — so the number of moves is the least any balanced assignment allows;
 * 2. an actor over its target keeps its lowest groups and gives up its highest; an actor that left
 *    gives up all of its groups;
 * 3. the freed groups, ascending, fill the actors under their target, in canonical order, so a
 *    newcomer tends to receive runs of adjacent groups.
 * The result is deterministic: it depends only on the current assignment and the set of new actors.
 * Unlike `assign`, it does not keep ranges contiguous: contiguity would cost moves.
 *
 * @example
 * const before = assign(128, ['node-0', 'node-1']);
 * const { assignment, moves } = reassign(before, ['node-0', 'node-1', 'node-2']);
 * moves.length; // 42: node-0 and node-1 each hand 21 groups to node-2
 */
export function reassign(current: Assignment, newActors: readonly string[]): Reassignment {
  const actors = canonicalActors(newActors);
  if (actors.length === 0) throw new Error('cannot reassign key groups to no actors');
  const n = current.keyGroups;
  const k = actors.length;
  const oldCounts = countsOf(current);
  const oldIndex = new Map(current.actors.map((a, i) => [a, i]));
  const had = actors.map((a) => {
    const i = oldIndex.get(a);
    return i === undefined ? 0 : oldCounts[i]!;
  });

  // 1. Targets: the ⌈n/k⌉ slots go to the actors that own the most already.
  const base = Math.floor(n / k);
  const extra = n % k;
  const byOwned = actors.map((_, i) => i).sort((x, y) => had[y]! - had[x]! || x - y);
  const target = new Int32Array(k).fill(base);
  for (let r = 0; r < extra; r++) target[byOwned[r]!]!++;

  // 2. Keep what fits under the target, lowest groups first; free the rest.
  // Each current actor's index among the new actors, -1 for one that left.
  const newIndexOfOld = Int32Array.from(current.actors, (a) => actors.indexOf(a));
  const owner = new Int32Array(n).fill(-1);
  const kept = new Int32Array(k);
  const freed: number[] = [];
  for (let g = 0; g < n; g++) {
    const to = newIndexOfOld[current.owner[g]!]!;
    if (to >= 0 && kept[to]! < target[to]!) {
      owner[g] = to;
      kept[to]!++;
    } else {
      freed.push(g);
    }
  }

  // 3. Freed groups, ascending, to the actors still short of their target, in canonical order.
  const moves: Move[] = [];
  let next = 0;
  for (let a = 0; a < k; a++) {
    for (let need = target[a]! - kept[a]!; need > 0; need--) {
      const g = freed[next++]!;
      owner[g] = a;
      moves.push({ group: g, from: current.actors[current.owner[g]!]!, to: actors[a]! });
    }
  }
  moves.sort((x, y) => x.group - y.group);
  return { assignment: { keyGroups: n, actors, owner }, moves };
}
