import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dictColumn, float64Column } from '../../../../../src/pipelines/data/column.js';
import { makeBatch } from '../../../../../src/pipelines/data/batch.js';
import { reasonKind } from '../../../../../src/store/deadLetter.js';
import { EventLog } from '../../../../../src/store/log/eventLog.js';

/** One event of the test source `ev`: arrival order is the array's order. */
export interface TestEvent {
  time: number;
  user: string;
  kind: string;
  amount: number;
}

/** The source the fixtures write, as a config declares it (plus a computed column). */
export function sourceYaml(lateness: string): string {
  return `
sources:
  ev:
    time: ts
    keys: [user]
    lateness: ${lateness}
    columns: { user: string, kind: string, amount: float64 }
    derive: { size: "if(amount > 50, 'big', 'small')" }`;
}

/**
 * Write `events`, in this arrival order, into the event log of `dataDir` as source `ev`, in segments
 * of `segmentRows` rows (small segments, so that reads skip some).
 */
export async function writeEvents(dataDir: string, events: readonly TestEvent[], lateness: number, segmentRows: number): Promise<void> {
  const log = await EventLog.open(join(dataDir, 'log'));
  const ev = await log.openSource(
    { name: 'ev', time: 'ts', timeFormat: 'auto', keys: ['user'], lateness, columns: { user: 'string', kind: 'string', amount: 'float64' } },
    { segmentRows },
  );
  const user = ev.dictionaries.get('user')!;
  const kind = ev.dictionaries.get('kind')!;
  // Appended in a few uneven batches: segment edges and batch edges must not matter.
  for (let at = 0; at < events.length; ) {
    const n = Math.min(events.length - at, 1 + ((at * 7) % 23));
    const part = events.slice(at, at + n);
    await ev.append(
      makeBatch(Float64Array.from(part, (e) => e.time), {
        user: dictColumn(Int32Array.from(part, (e) => user.encode(e.user)), user),
        kind: dictColumn(Int32Array.from(part, (e) => kind.encode(e.kind)), kind),
        amount: float64Column(Float64Array.from(part, (e) => e.amount)),
      }),
    );
    at += n;
  }
  await ev.flush();
}

/** The pipelines' rejections a replay wrote to `<dataDir>/deadletter`, with time in `[from, to)`, per source and reason kind. */
export function deadLettersInRange(dataDir: string, from: number, to: number): Record<string, Record<string, number>> {
  const dir = join(dataDir, 'deadletter');
  const out: Record<string, Record<string, number>> = {};
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as { source: string; reason: string; time?: number; step?: string };
      // Import rejections have no step and are no backfill's business.
      if (r.step === undefined || r.time === undefined || r.time < from || r.time >= to) continue;
      const bySource = (out[r.source] ??= {});
      const kind = reasonKind(r.reason);
      bySource[kind] = (bySource[kind] ?? 0) + 1;
    }
  }
  return out;
}
