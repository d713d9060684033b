import { expect } from 'vitest';
import type { BackfillSummary } from '../../../../../src/sdk/backfill.js';
import type { FeatureSetConfig } from '../../../../../src/sdk/config/types.js';
import type { ReplaySummary } from '../../../../../src/sdk/replay.js';
import { readArrowRows } from '../../../../helpers/tables.js';

/** The time column of a written table: the source's time column for an events table, `window_end` for windows. */
export function timeColumnOf(config: FeatureSetConfig, t: { name: string; kind: 'events' | 'windows' }): string {
  return t.kind === 'events' ? config.sources[t.name]!.time : 'window_end';
}

/** A full replay's rows of each table with time in `[from, to)`, in the replay's order. */
export function replayRowsInRange(config: FeatureSetConfig, full: ReplaySummary, from: number, to: number): Record<string, Record<string, unknown>[]> {
  return Object.fromEntries(
    full.tables.map((t) => {
      const time = timeColumnOf(config, t);
      return [t.name, readArrowRows(t.file).filter((r) => (r[time] as number) >= from && (r[time] as number) < to)];
    }),
  );
}

/**
 * The backfill wrote every table of the full replay, with the same columns, and the same rows in
 * the same order, value for value (Object.is on numbers: 0 and -0 differ, NaN is null).
 */
export function expectSameAsReplay(config: FeatureSetConfig, full: ReplaySummary, got: BackfillSummary, from: number, to: number): void {
  const want = replayRowsInRange(config, full, from, to);
  expect(got.tables.map((t) => t.name)).toEqual(full.tables.map((t) => t.name));
  for (const t of got.tables) {
    const expected = want[t.name]!;
    const actual = readArrowRows(t.file);
    // A mismatch names the table and the first row that differs, not a wall of JSON.
    const first = firstDifference(expected, actual);
    expect(first, `table ${t.name} [${from}, ${to}), ${got.tasks.length} tasks`).toBeUndefined();
    if (actual.length > 0) expect(t.columns).toEqual(full.tables.find((x) => x.name === t.name)!.columns);
  }
}

/** The first row at which two tables differ (or their lengths), as a short description. */
export function firstDifference(want: readonly Record<string, unknown>[], got: readonly Record<string, unknown>[]): string | undefined {
  const n = Math.min(want.length, got.length);
  for (let i = 0; i < n; i++) {
    const a = want[i]!;
    const b = got[i]!;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!Object.is(a[k], b[k])) return `row ${i}: ${k} is ${String(b[k])}, the replay has ${String(a[k])}`;
    }
  }
  if (want.length !== got.length) return `${got.length} rows, the replay has ${want.length}`;
  return undefined;
}
