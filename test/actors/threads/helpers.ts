import { readFileSync } from 'node:fs';
import { tableFromIPC, type Table } from 'apache-arrow';
import { expect } from 'vitest';
import type { ReplaySummary } from '../../../src/sdk/replay.js';

/** Same columns in the same order, same rows in the same order, value for value (NaN equals NaN, -0 is not 0). */
export function expectSameTable(actual: Table, expected: Table, label: string): void {
  expect(actual.schema.fields.map((f) => f.name), `${label}: columns`).toEqual(expected.schema.fields.map((f) => f.name));
  expect(actual.numRows, `${label}: rows`).toBe(expected.numRows);
  for (const f of expected.schema.fields) {
    const a = actual.getChild(f.name)!;
    const e = expected.getChild(f.name)!;
    for (let i = 0; i < expected.numRows; i++) {
      const av = a.get(i) as unknown;
      const ev = e.get(i) as unknown;
      if (!Object.is(av, ev) && !(typeof av === 'bigint' && av === ev)) {
        expect(av, `${label}: ${f.name} row ${i}`).toEqual(ev);
      }
    }
  }
}

export function expectSameOutput(threads: ReplaySummary, local: ReplaySummary): void {
  expect(threads.tables.map((t) => [t.name, t.rows])).toEqual(local.tables.map((t) => [t.name, t.rows]));
  expect(threads.events).toEqual(local.events);
  expect(threads.deadLetters).toEqual(local.deadLetters);
  for (const t of local.tables) {
    const other = threads.tables.find((x) => x.name === t.name)!;
    expectSameTable(tableFromIPC(readFileSync(other.file)), tableFromIPC(readFileSync(t.file)), t.name);
  }
}

/** The threads executor ran the feature set itself (notes about single-worker features are fine). */
export function expectNoFallback(notices: readonly string[]): void {
  expect(notices.filter((n) => n.includes('running in this thread instead'))).toEqual([]);
}
