/**
 * Lanes: how one feature set is split over several actors (worker threads or cluster nodes).
 *
 * | file | job |
 * | --- | --- |
 * | `planLanes.ts` | per source, features grouped by key; which features must stay on one actor |
 * | `sourceSplitter.ts` | the reader's side: key groups of each row, watermark announcements, composite key numbering |
 * | `buildLane.ts` | an actor compiles and starts one lane on a (fresh or restored) state store |
 * | `feedLane.ts` | an actor feeds its rows of a batch to a lane, cut at the announcements |
 * | `mergeLaneOutputs.ts` | the actors' outputs back into the order and columns of one thread |
 */
export { buildLane, type RunningLane } from './buildLane.js';
export { feedLane } from './feedLane.js';
export { mergeLaneOutputs, mergeWindowTables, windowKeyColumns } from './mergeLaneOutputs.js';
export { crossKeyState, planLanes, ROW_COLUMN, type LanePlan, type LaneSpec } from './planLanes.js';
export { SourceSplitter, type SplitBatch, type SplitterSnapshot, type SourcePosition } from './sourceSplitter.js';
