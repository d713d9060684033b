import { canonicalActors } from './actorOrder.js';
import { checkKeyGroups } from './keyHash.js';

/**
 * Which actor owns each key group. All state of a key group lives with its owner, and moves
 * with it as a whole.
 */
export interface Assignment {
  readonly keyGroups: number;
  /** The actor ids, in canonical order (see compareActors). */
  readonly actors: readonly string[];
  /** `owner[g]` is the index in `actors` of the owner of key group g. */
  readonly owner: Int32Array;
}

/**
 * Balanced contiguous ranges: with n key groups and k actors, the first `n mod k` actors (in
 * canonical order) get ⌈n/k⌉ groups and the rest ⌊n/k⌋, in ascending ranges. Contiguous ranges
 * keep checkpoint files and status lines short (`node-0: 0..42`).
 * With more actors than groups, the last actors own nothing.
 *
 * @example
 * const a = assign(128, ['node-0', 'node-1', 'node-2']);
 * groupsOf(a, 'node-0'); // [0..42], 43 groups
 * groupsOf(a, 'node-2'); // [86..127], 42 groups
 */
export function assign(keyGroups: number, actors: readonly string[]): Assignment {
  checkKeyGroups(keyGroups);
  const ordered = canonicalActors(actors);
  if (ordered.length === 0) throw new Error('cannot assign key groups to no actors');
  const owner = new Int32Array(keyGroups);
  const k = ordered.length;
  const base = Math.floor(keyGroups / k);
  const extra = keyGroups % k;
  let g = 0;
  for (let a = 0; a < k; a++) {
    const count = base + (a < extra ? 1 : 0);
    owner.fill(a, g, g + count);
    g += count;
  }
  return { keyGroups, actors: ordered, owner };
}

/**
 * The key groups an actor owns, ascending (empty for an actor that owns none or is not a member).
 *
 * @example
 * groupsOf(assign(4, ['a', 'b']), 'b'); // [2, 3]
 */
export function groupsOf(a: Assignment, actor: string): number[] {
  const index = a.actors.indexOf(actor);
  const out: number[] = [];
  if (index < 0) return out;
  for (let g = 0; g < a.keyGroups; g++) if (a.owner[g] === index) out.push(g);
  return out;
}

/**
 * The actor that owns a key group.
 *
 * @example
 * ownerOf(assign(4, ['a', 'b']), 3); // 'b'
 */
export function ownerOf(a: Assignment, group: number): string {
  const index = a.owner[group];
  if (index === undefined) throw new Error(`key group ${group} is out of range 0..${a.keyGroups - 1}`);
  return a.actors[index]!;
}

/**
 * How many key groups each actor owns, by actor index.
 *
 * @example
 * countsOf(assign(5, ['a', 'b'])); // Int32Array [3, 2]
 */
export function countsOf(a: Assignment): Int32Array {
  const counts = new Int32Array(a.actors.length);
  for (let g = 0; g < a.keyGroups; g++) counts[a.owner[g]!]!++;
  return counts;
}

/**
 * Ascending key groups as half-open ranges [start, end), for status lines and messages.
 *
 * @example
 * groupRanges([0, 1, 2, 7, 9, 10]); // [[0, 3], [7, 8], [9, 11]]
 */
export function groupRanges(groups: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const g of groups) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === g) last[1] = g + 1;
    else out.push([g, g + 1]);
  }
  return out;
}

/** An assignment as plain JSON, for checkpoints and coordinator messages. */
export interface AssignmentJson {
  keyGroups: number;
  actors: string[];
  owner: number[];
}

/**
 * @example
 * const text = JSON.stringify(encodeAssignment(a));
 * decodeAssignment(JSON.parse(text)); // equal to a
 */
export function encodeAssignment(a: Assignment): AssignmentJson {
  return { keyGroups: a.keyGroups, actors: [...a.actors], owner: Array.from(a.owner) };
}

/** Reads `encodeAssignment`'s JSON back, checking it (a checkpoint is read by another release). */
export function decodeAssignment(json: unknown): Assignment {
  const j = json as Partial<AssignmentJson> | null;
  if (j === null || typeof j !== 'object' || !Array.isArray(j.actors) || !Array.isArray(j.owner) || typeof j.keyGroups !== 'number') {
    throw new Error('not an assignment: expected { keyGroups, actors, owner }');
  }
  checkKeyGroups(j.keyGroups);
  if (j.owner.length !== j.keyGroups) throw new Error(`assignment has ${j.owner.length} owners for ${j.keyGroups} key groups`);
  const actors = canonicalActors(j.actors.map(String));
  if (actors.some((a, i) => a !== j.actors![i])) throw new Error('assignment actors are not in canonical order');
  const owner = Int32Array.from(j.owner, (o) => {
    if (!Number.isInteger(o) || o < 0 || o >= actors.length) throw new Error(`assignment owner ${String(o)} is not an actor index`);
    return o;
  });
  return { keyGroups: j.keyGroups, actors, owner };
}
