import { join } from 'node:path';
import { concatBatches, type Batch } from '../../pipelines/data/batch.js';
import { EventLog } from '../../store/log/eventLog.js';
import type { FeatureSetConfig } from '../config/types.js';
import { sourceSpec } from '../replay.js';

/**
 * Split a feature set's recorded log in time, to replay its end as live events: the events before
 * the cut (the last `share` of the whole time span) are copied into a fresh log under
 * `<liveDataDir>/log`, and the events from the cut on are returned per source, to send, with the
 * cut and the last event time.
 *
 * @example
 * const { feed, cut } = await splitHistory(config, join(config.dataDir, 'live-demo'), 0.03);
 * // start a live run on the live-demo folder, then send feed.trades, feed.book...
 */
export async function splitHistory(config: FeatureSetConfig, liveDataDir: string, share: number): Promise<{ feed: Record<string, Batch>; cut: number; max: number }> {
  const recorded = await EventLog.open(join(config.dataDir, 'log'));
  const fresh = await EventLog.open(join(liveDataDir, 'log'));
  const sources = Object.values(config.sources);
  const logs = await Promise.all(sources.map((s) => recorded.openSource(sourceSpec(s))));
  let min = Infinity;
  let max = -Infinity;
  for (const l of logs) {
    const r = l.timeRange;
    if (r !== undefined) (min = Math.min(min, r.min)), (max = Math.max(max, r.max));
  }
  const cut = max - share * (max - min);
  const feed: Record<string, Batch> = {};
  for (const [i, s] of sources.entries()) {
    const target = await fresh.openSource(sourceSpec(s));
    for await (const b of logs[i]!.read({ to: cut })) await target.append(b);
    await target.flush();
    const rest: Batch[] = [];
    for await (const b of logs[i]!.read({ from: cut })) rest.push(b);
    if (rest.length > 0) feed[s.name] = concatBatches(rest);
  }
  return { feed, cut, max };
}
