/**
 * Rows grouped by the actor that owns their key group, for a keyed shuffle: the rows for actor a
 * are `rows[offsets[a] .. offsets[a + 1])`, in arrival order (the split is stable, so each actor
 * sees its events in the order the source had them). Rows whose group is -1 (a null key) go to an
 * extra last bucket, `a = actorCount`, so the caller decides what a keyless row means.
 *
 * A counting sort: two passes over Int32Arrays, no per-row objects.
 *
 * @example
 * const groups = keyGroupsOf(batch.columns.card_id!, 128);
 * const { offsets, rows } = partitionRows(groups, assignment.owner, assignment.actors.length);
 * const forActor1 = rows.subarray(offsets[1], offsets[2]); // then takeBatch(batch, forActor1)
 */
export function partitionRows(groups: Int32Array, owner: Int32Array, actorCount: number): { offsets: Int32Array; rows: Int32Array } {
  const n = groups.length;
  const bucketOf = new Int32Array(n);
  const offsets = new Int32Array(actorCount + 2);
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    let b: number;
    if (g < 0) b = actorCount;
    else {
      const o = owner[g];
      if (o === undefined) throw new Error(`row ${i} is in key group ${g}, but the assignment has ${owner.length} groups`);
      b = o;
    }
    bucketOf[i] = b;
    offsets[b + 1]!++;
  }
  for (let b = 0; b <= actorCount; b++) offsets[b + 1]! += offsets[b]!;
  const fill = offsets.slice(0, actorCount + 1);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[bucketOf[i]!]!++] = i;
  return { offsets, rows };
}
