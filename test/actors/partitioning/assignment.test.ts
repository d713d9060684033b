import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareActors } from '../../../src/actors/partitioning/actorOrder.js';
import { assign, countsOf, decodeAssignment, encodeAssignment, groupRanges, groupsOf, ownerOf, type Assignment } from '../../../src/actors/partitioning/assignment.js';
import { reassign } from '../../../src/actors/partitioning/reassign.js';

const actorIds = (max: number) => fc.uniqueArray(fc.integer({ min: 0, max: 40 }).map((i) => `node-${i}`), { minLength: 1, maxLength: max });

function expectValid(a: Assignment): void {
  // Every group owned exactly once, by a member.
  expect(a.owner).toHaveLength(a.keyGroups);
  for (const o of a.owner) expect(o >= 0 && o < a.actors.length).toBe(true);
  const all = a.actors.flatMap((x) => groupsOf(a, x)).sort((x, y) => x - y);
  expect(all).toEqual(Array.from({ length: a.keyGroups }, (_, g) => g));
}

function expectBalanced(a: Assignment): void {
  const counts = Array.from(countsOf(a));
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
}

describe('compareActors', () => {
  it('orders StatefulSet pod names by ordinal', () => {
    expect(['node-10', 'node-2', 'node-1', 'node-02', 'a'].sort(compareActors)).toEqual(['a', 'node-1', 'node-02', 'node-2', 'node-10']);
  });
  it('is a total order (antisymmetric, transitive on samples)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', '0', '1', '9', '-') }), { maxLength: 8 }), (xs) => {
        const sorted = [...xs].sort(compareActors);
        for (let i = 1; i < sorted.length; i++) expect(compareActors(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
        for (const x of xs) for (const y of xs) expect(Math.sign(compareActors(x, y)) + Math.sign(compareActors(y, x))).toBe(0);
        for (const x of xs) for (const y of xs) if (compareActors(x, y) === 0) expect(x).toBe(y);
      }),
    );
  });
});

describe('assign', () => {
  it('gives balanced contiguous ranges in canonical actor order', () => {
    const a = assign(128, ['node-2', 'node-0', 'node-1']);
    expect(a.actors).toEqual(['node-0', 'node-1', 'node-2']);
    expect(groupRanges(groupsOf(a, 'node-0'))).toEqual([[0, 43]]);
    expect(groupRanges(groupsOf(a, 'node-1'))).toEqual([[43, 86]]);
    expect(groupRanges(groupsOf(a, 'node-2'))).toEqual([[86, 128]]);
    expect(ownerOf(a, 127)).toBe('node-2');
    expect(() => ownerOf(a, 128)).toThrow(/out of range/);
  });

  it('with more actors than groups, the last actors own nothing', () => {
    const a = assign(2, ['a', 'b', 'c']);
    expect(Array.from(countsOf(a))).toEqual([1, 1, 0]);
    expect(groupsOf(a, 'c')).toEqual([]);
    expect(groupsOf(a, 'not-a-member')).toEqual([]);
  });

  it('refuses no actors, duplicate or empty ids, and bad key-group counts', () => {
    expect(() => assign(8, [])).toThrow(/no actors/);
    expect(() => assign(8, ['a', 'a'])).toThrow(/twice/);
    expect(() => assign(8, [''])).toThrow(/empty/);
    expect(() => assign(0, ['a'])).toThrow(/positive integer/);
  });

  it('property: every group owned exactly once, balanced within 1, contiguous, independent of actor order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), actorIds(12), (n, actors) => {
        const a = assign(n, actors);
        expectValid(a);
        expectBalanced(a);
        for (const x of a.actors) expect(groupRanges(groupsOf(a, x)).length).toBeLessThanOrEqual(1);
        // Owners never decrease along the groups: ranges are in actor order.
        for (let g = 1; g < n; g++) expect(a.owner[g]!).toBeGreaterThanOrEqual(a.owner[g - 1]!);
        expect(encodeAssignment(assign(n, [...actors].reverse()))).toEqual(encodeAssignment(a));
      }),
    );
  });

  it('round-trips through JSON and rejects damaged JSON', () => {
    const a = assign(10, ['x', 'y', 'z']);
    const back = decodeAssignment(JSON.parse(JSON.stringify(encodeAssignment(a))));
    expect(encodeAssignment(back)).toEqual(encodeAssignment(a));
    expect(back.owner).toBeInstanceOf(Int32Array);
    expect(() => decodeAssignment(null)).toThrow(/not an assignment/);
    expect(() => decodeAssignment({ keyGroups: 3, actors: ['a'], owner: [0, 0] })).toThrow(/2 owners for 3/);
    expect(() => decodeAssignment({ keyGroups: 2, actors: ['a'], owner: [0, 1] })).toThrow(/not an actor index/);
    expect(() => decodeAssignment({ keyGroups: 1, actors: ['b', 'a'], owner: [0] })).toThrow(/canonical order/);
  });

  it('groupRanges compresses ascending groups', () => {
    expect(groupRanges([0, 1, 2, 7, 9, 10])).toEqual([[0, 3], [7, 8], [9, 11]]);
    expect(groupRanges([])).toEqual([]);
  });
});

/** The fewest moves any assignment of n groups to `next`, balanced within 1, needs: by brute force. */
function bruteForceMinMoves(current: Assignment, next: readonly string[]): number {
  const n = current.keyGroups;
  const k = next.length;
  const currentOwner = Array.from(current.owner, (o) => current.actors[o]!);
  let best = Infinity;
  const owner = new Array<number>(n).fill(0);
  const counts = new Array<number>(k).fill(0);
  const go = (g: number, moves: number): void => {
    if (moves >= best) return;
    if (g === n) {
      if (Math.max(...counts) - Math.min(...counts) <= 1) best = moves;
      return;
    }
    for (let a = 0; a < k; a++) {
      owner[g] = a;
      counts[a]!++;
      go(g + 1, moves + (next[a] === currentOwner[g] ? 0 : 1));
      counts[a]!--;
    }
  };
  go(0, 0);
  return best;
}

describe('reassign', () => {
  it('scaling 2 → 3 actors moves a third of the groups, all to the newcomer', () => {
    const before = assign(128, ['node-0', 'node-1']);
    const { assignment, moves } = reassign(before, ['node-0', 'node-1', 'node-2']);
    expect(moves).toHaveLength(42);
    expect(new Set(moves.map((m) => m.to))).toEqual(new Set(['node-2']));
    expect(Array.from(countsOf(assignment)).sort()).toEqual([42, 43, 43]);
    // Each giver keeps its lowest groups and gives up its highest, so runs stay long.
    expect(groupRanges(groupsOf(assignment, 'node-2'))).toEqual([[43, 64], [107, 128]]);
  });

  it('a lost actor hands exactly its own groups to the survivors', () => {
    const before = assign(128, ['node-0', 'node-1', 'node-2']);
    const lost = groupsOf(before, 'node-1');
    const { assignment, moves } = reassign(before, ['node-0', 'node-2']);
    expect(moves.map((m) => m.group)).toEqual(lost);
    expect(moves.every((m) => m.from === 'node-1')).toBe(true);
    expectBalanced(assignment);
  });

  it('the same actors move nothing; the result does not depend on the order actors are listed in', () => {
    const before = assign(100, ['a', 'b', 'c']);
    expect(reassign(before, ['c', 'a', 'b']).moves).toEqual([]);
    const x = reassign(before, ['d', 'a', 'e']);
    const y = reassign(before, ['e', 'd', 'a']);
    expect(encodeAssignment(x.assignment)).toEqual(encodeAssignment(y.assignment));
    expect(x.moves).toEqual(y.moves);
  });

  it('refuses to reassign to nobody', () => {
    expect(() => reassign(assign(4, ['a']), [])).toThrow(/no actors/);
  });

  it('property: valid, balanced, deterministic, and the moves are exactly the owner changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), actorIds(10), actorIds(10), fc.integer({ min: 0, max: 3 }), (n, first, second, churn) => {
        // A current assignment that is itself the result of some history (not just `assign`).
        let current = assign(n, first);
        for (let i = 0; i < churn; i++) current = reassign(current, i % 2 === 0 ? second : first).assignment;
        const r = reassign(current, second);
        expectValid(r.assignment);
        expectBalanced(r.assignment);
        expect(reassign(current, second)).toEqual(r);
        const changed = [];
        for (let g = 0; g < n; g++) {
          const from = ownerOf(current, g);
          const to = ownerOf(r.assignment, g);
          if (from !== to) changed.push({ group: g, from, to });
        }
        expect(r.moves).toEqual(changed);
      }),
    );
  });

  it('property: moves no more groups than necessary (checked against brute force on small cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }), fc.boolean(), (n, first, second, shuffle) => {
        let current = assign(n, first);
        // Start from an uneven-looking but balanced history too, not only contiguous ranges.
        if (shuffle) current = reassign(reassign(current, [...first, 'z']).assignment, first).assignment;
        const r = reassign(current, second);
        expect(r.moves.length).toBe(bruteForceMinMoves(current, r.assignment.actors));
      }),
      { numRuns: 300 },
    );
  });

  it('property: minimal movement on large cases, against the closed-form lower bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), actorIds(16), actorIds(16), (n, first, second) => {
        const current = assign(n, first);
        const r = reassign(current, second);
        // Any balanced result keeps at most Σ min(had, target) groups, and that sum is largest when
        // the ⌈n/k⌉ targets go to the actors that had the most.
        const k = r.assignment.actors.length;
        const had = r.assignment.actors.map((a) => groupsOf(current, a).length).sort((x, y) => y - x);
        const base = Math.floor(n / k);
        const keepable = had.reduce((s, h, i) => s + Math.min(h, base + (i < n % k ? 1 : 0)), 0);
        expect(r.moves.length).toBe(n - keepable);
      }),
    );
  });
});
