import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

/** Rows of an Arrow IPC file as plain objects: timestamps as epoch ms, int64 as numbers. */
export function readArrowRows(file: string): Record<string, unknown>[] {
  const table = tableFromIPC(readFileSync(file));
  return table.toArray().map((row) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row.toJSON() as Record<string, unknown>)) o[k] = typeof v === 'bigint' ? Number(v) : v;
    return o;
  });
}

/** A fresh temporary folder, and a function that removes it. */
export function tempDir(prefix = 'tributary-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Sort rows by their JSON text, so two row lists compare regardless of order. */
export function sortRows<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
