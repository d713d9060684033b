import { tasksFor } from '../taskPool.js';

/**
 * The plan of a backfill, as a pure function of the range, the tables' warm-ups and the log's
 * segment index: which tasks run, each one's time partition, where its read starts and which
 * segments it skips. No I/O, so it is tested on its own (test/actors/pool/backfill/planBackfill.test.ts).
 *
 * - **Groups.** A group's task reads its source once for all its tables, warmed up by the longest
 *   warm-up among them. A source's unbounded tables form one group; its bounded ones are grouped by
 *   warm-up: a table joins a group when that makes the group's tables warm up longer by at most
 *   {@link GROUP_WARM_UP_SHARE} of a partition's span (reading the source once more, and a task
 *   more to schedule, cost more than that; warming a table up over much more history than it needs
 *   costs more than a read).
 * - **Partitions.** A bounded group's range is cut into partitions holding about as many events each
 *   (estimated from the segments' row counts and time bounds): one per thread, and none under ~1 ms of
 *   work (`tasksFor`), unless `partitions` says how many. An unbounded group is one task: every
 *   partition of it would read from the start of the log, so splitting it only adds work.
 * - **Reads.** Partition [a, b) of a group with warm-up W reads the events with time >= a - W, in
 *   arrival order: segments whose maxTime < a - W are skipped, never opened.
 */

/** What the planner knows of one log segment (the manifest's index). */
export interface SegmentStats {
  readonly rows: number;
  readonly minTime: number;
  readonly maxTime: number;
}

/** A table to backfill and its warm-up (see warmUp.ts). */
export interface TableToPlan {
  readonly table: string;
  readonly source: string;
  /** ms of history before a range; Infinity: from the start of the log. */
  readonly ms: number;
  /** Relative cost of an event for this table (default 1), for ordering tasks: its feature count, say. */
  readonly weight?: number;
}

export interface PlanInput {
  /** The range, epoch ms: rows with `from <= time < to`. */
  readonly from: number;
  readonly to: number;
  readonly tables: readonly TableToPlan[];
  /** Each source's segments, in log order. */
  readonly segments: Readonly<Record<string, readonly SegmentStats[]>>;
  readonly threads: number;
  /** Partitions of each bounded group (default: one per thread, each of at least ~1 ms of work). */
  readonly partitions?: number;
  /** Events one thread computes in a millisecond, for the task-size rule (default {@link EVENTS_PER_MS}). */
  readonly eventsPerMs?: number;
}

/** One task: a group's tables over one time partition. */
export interface PartitionTask {
  /** Index of its group in `BackfillPlan.groups`, and of its partition in the group (time order). */
  readonly group: number;
  readonly partition: number;
  readonly source: string;
  readonly tables: readonly string[];
  /** The partition: rows with `from <= time < to`. */
  readonly from: number;
  readonly to: number;
  /** The group's warm-up, ms (Infinity: from the start of the log). */
  readonly warmUp: number;
  /** The read starts at events with time >= readFrom (`from - warmUp`; -Infinity when unbounded). */
  readonly readFrom: number;
  /** Leading segments of the source the read skips: their maxTime < readFrom. */
  readonly skippedSegments: number;
  /** Estimated events in the partition, and read in all (warm-up and partition). */
  readonly rangeEvents: number;
  readonly readEvents: number;
  /** Estimated cost: events read times the group's weight (the sum of its tables'). Longest tasks go first. */
  readonly cost: number;
}

export interface GroupPlan {
  readonly source: string;
  readonly tables: readonly string[];
  readonly warmUp: number;
  readonly partitions: number;
}

export interface BackfillPlan {
  readonly groups: readonly GroupPlan[];
  /** Group by group, each group's partitions in time order: concatenating their rows in this order gives the tables. */
  readonly tasks: readonly PartitionTask[];
  /** Estimated events read by all tasks. */
  readonly readEvents: number;
}

/**
 * Events a thread computes in a millisecond, for sizing tasks. Measured by bench/suites/backfill.ts on
 * one core of a shared 2-core machine: ~230 for its events table (sliding counts, max, min and a
 * distinct count), ~700 for its tumbling windows; the example sets fall in between or below.
 */
export const EVENTS_PER_MS = 250;

/**
 * Plan a backfill of `[from, to)`: its groups, their partitions and where each task's read starts.
 *
 * @example
 * planBackfill({
 *   from: 1000, to: 3000, threads: 2,
 *   tables: [{ table: 'logins', source: 'logins', ms: 500 }],
 *   segments: { logins: [{ rows: 4000, minTime: 0, maxTime: 3999 }] },
 *   partitions: 2,
 * }).tasks.map((t) => [t.from, t.to, t.readFrom]); // [[1000, 2000, 500], [2000, 3000, 1500]]
 */
export function planBackfill(input: PlanInput): BackfillPlan {
  const { from, to } = input;
  if (!(from < to)) throw new Error(`a backfill range needs from < to, got [${from}, ${to})`);
  if (!Number.isInteger(input.threads) || input.threads < 1) throw new Error(`threads must be a whole number of at least 1, got ${input.threads}`);
  if (input.partitions !== undefined && !(Number.isInteger(input.partitions) && input.partitions >= 1)) {
    throw new Error(`partitions must be a whole number of at least 1, got ${input.partitions}`);
  }
  const eventsPerMs = input.eventsPerMs ?? EVENTS_PER_MS;

  // A partition's span when each bounded group gets the partitions asked, or one per thread.
  const span = (to - from) / (input.partitions ?? input.threads);
  const groups = groupTables(input.tables, span);
  const tasks: PartitionTask[] = [];
  const planned: GroupPlan[] = groups.map((g, gi) => {
    const segments = input.segments[g.source] ?? [];
    const rangeEvents = eventsIn(segments, from, to);
    const bounded = Number.isFinite(g.warmUp);
    const wanted = !bounded ? 1 : (input.partitions ?? tasksFor(rangeEvents, { threads: input.threads, workPerMs: eventsPerMs }));
    const cuts = cutRange(segments, from, to, wanted);
    for (let p = 0; p + 1 < cuts.length; p++) {
      const a = cuts[p]!;
      const b = cuts[p + 1]!;
      const readFrom = bounded ? a - g.warmUp : -Infinity;
      tasks.push({
        group: gi,
        partition: p,
        source: g.source,
        tables: g.tables,
        from: a,
        to: b,
        warmUp: g.warmUp,
        readFrom,
        skippedSegments: skippedSegments(segments, readFrom),
        rangeEvents: eventsIn(segments, a, b),
        readEvents: eventsIn(segments, readFrom, b),
        cost: eventsIn(segments, readFrom, b) * g.weight,
      });
    }
    return { source: g.source, tables: g.tables, warmUp: g.warmUp, partitions: cuts.length - 1 };
  });
  return { groups: planned, tasks, readEvents: tasks.reduce((n, t) => n + t.readEvents, 0) };
}

/** A bounded table joins a group when that makes the group's tables warm up longer by at most this share of a partition's span. */
export const GROUP_WARM_UP_SHARE = 0.25;

/**
 * The tables in groups (see the file comment), for partitions spanning about `span` ms: per source in
 * first-seen order, its bounded groups by growing warm-up, then its unbounded one.
 *
 * @example
 * // A 1 h range on one thread: a 10 min and a 1 h warm-up are read apart.
 * groupTables([{ table: 'ev', source: 's', ms: 600_000 }, { table: 'hourly', source: 's', ms: 3_600_000 }], 3_600_000);
 * // [{ source: 's', tables: ['ev'], warmUp: 600000, weight: 1 }, { source: 's', tables: ['hourly'], warmUp: 3600000, weight: 1 }]
 */
export function groupTables(tables: readonly TableToPlan[], span: number): { source: string; tables: string[]; warmUp: number; weight: number }[] {
  const sources = [...new Set(tables.map((t) => t.source))];
  return sources.flatMap((source) => {
    const mine = tables.filter((t) => t.source === source);
    const bounded = mine.filter((t) => Number.isFinite(t.ms)).sort((a, b) => a.ms - b.ms);
    const groups: { source: string; tables: string[]; warmUp: number; weight: number; shortest: number }[] = [];
    for (const t of bounded) {
      const last = groups.at(-1);
      if (last !== undefined && t.ms - last.shortest <= GROUP_WARM_UP_SHARE * span) {
        last.tables.push(t.table);
        last.warmUp = t.ms;
        last.weight += t.weight ?? 1;
      } else groups.push({ source, tables: [t.table], warmUp: t.ms, weight: t.weight ?? 1, shortest: t.ms });
    }
    const unbounded = mine.filter((t) => !Number.isFinite(t.ms));
    return [
      ...groups.map(({ shortest: _s, ...g }) => g),
      ...(unbounded.length > 0 ? [{ source, tables: unbounded.map((t) => t.table), warmUp: Infinity, weight: unbounded.reduce((w, t) => w + (t.weight ?? 1), 0) }] : []),
    ];
  });
}

/**
 * Estimated events with time in `[from, to)`: each segment's rows, spread evenly over its
 * [minTime, maxTime] (a segment of one timestamp counts whole or not at all).
 */
export function eventsIn(segments: readonly SegmentStats[], from: number, to: number): number {
  let n = 0;
  for (const s of segments) {
    if (s.rows === 0 || s.maxTime < from || s.minTime >= to) continue;
    if (s.maxTime === s.minTime) {
      n += s.rows;
      continue;
    }
    // Times are whole ms: the segment covers maxTime - minTime + 1 of them.
    const span = s.maxTime - s.minTime + 1;
    const lo = Math.max(from, s.minTime);
    const hi = Math.min(to, s.maxTime + 1);
    n += (s.rows * (hi - lo)) / span;
  }
  return n;
}

/** Leading segments that a read of the events with time >= `readFrom` does not open: those wholly before it. */
export function skippedSegments(segments: readonly SegmentStats[], readFrom: number): number {
  // SourceLog.read skips every segment whose maxTime < from, wherever it is; the leading run is what
  // a mostly time-ordered log saves, and what the plan reports.
  let n = 0;
  while (n < segments.length && segments[n]!.maxTime < readFrom) n++;
  return n;
}

/**
 * `parts` + 1 boundaries from `from` to `to` (whole ms, strictly increasing), cutting the range into
 * parts of about equal estimated events; fewer parts when the range is too short in ms to hold them.
 * With no events in the range, one part.
 */
export function cutRange(segments: readonly SegmentStats[], from: number, to: number, parts: number): number[] {
  const total = eventsIn(segments, from, to);
  if (parts <= 1 || total <= 0) return [from, to];
  const cuts = [from];
  for (let k = 1; k < parts; k++) {
    const target = (total * k) / parts;
    // The first whole ms t with eventsIn(from, t) >= target (eventsIn grows with t).
    let lo = Math.ceil(cuts[cuts.length - 1]! + 1);
    let hi = Math.floor(to - 1);
    if (lo > hi) break;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (eventsIn(segments, from, mid) >= target) hi = mid;
      else lo = mid + 1;
    }
    cuts.push(lo);
  }
  cuts.push(to);
  return cuts.filter((c, i) => i === 0 || c > cuts[i - 1]!);
}
