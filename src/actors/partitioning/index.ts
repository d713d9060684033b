/**
 * Partitioning: keys hash to a fixed number of key groups; key groups are assigned to actors.
 * Everything here is pure (no I/O, no clocks), so the in-process, worker-thread and ZeroMQ
 * executors, the coordinator and the checkpoint code all compute the same answer.
 *
 * | file | job |
 * | --- | --- |
 * | `murmur3.ts` | MurmurHash3 x86_32 over bytes or 32-bit words |
 * | `keyHash.ts` | the hash contract of a key value, a composite key and a key group |
 * | `keyGroupsOf.ts` | the key group of every row of a key column, each distinct dictionary value hashed once |
 * | `actorOrder.ts` | the canonical (natural) order of actor ids |
 * | `assignment.ts` | balanced contiguous assignment of key groups to actors, and its JSON form |
 * | `reassign.ts` | minimal-movement reassignment when actors join or leave |
 * | `partitionRows.ts` | rows of a batch grouped by owning actor, for a keyed shuffle |
 */
export { murmur3_32, murmur3_32Words, murmur3Finish, murmur3Step } from '../../pipelines/data/murmur3.js';
export { DEFAULT_KEY_GROUPS, checkKeyGroups, combineHashes, groupOfHash, hashKey, hashKeyTuple, keyGroupOf, type KeyValue } from './keyHash.js';
export { KeyHashes, keyGroupsOf, keyGroupsOfColumns, keyHashesOf } from './keyGroupsOf.js';
export { canonicalActors, compareActors } from './actorOrder.js';
export { assign, countsOf, decodeAssignment, encodeAssignment, groupRanges, groupsOf, ownerOf, type Assignment, type AssignmentJson } from './assignment.js';
export { reassign, type Move, type Reassignment } from './reassign.js';
export { partitionRows } from './partitionRows.js';
