import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { fromRecordBatch } from '../../pipelines/data/arrow.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import type { FeatureTable, FeatureTableSource } from './sources.js';

/**
 * Feature tables read from the Arrow IPC files `replay` writes: `<dir>/<table>.arrow`.
 * Numeric columns and dictionary codes stay views over the file's bytes. Each table is read once
 * and kept, since several sets (and several features of one set) read the same table.
 *
 * @example
 * const tables = new ArrowFileTables(join(config.dataDir, 'features'));
 * const logins = await tables.table('logins', 'ts');
 * logins?.batches.length;
 */
export class ArrowFileTables implements FeatureTableSource {
  private readonly cache = new Map<string, Promise<FeatureTable | undefined>>();

  constructor(readonly dir: string) {}

  /** The file a table is read from. */
  file(name: string): string {
    return join(this.dir, `${name}.arrow`);
  }

  table(name: string, timeColumn: string): Promise<FeatureTable | undefined> {
    const key = `${name}\u0000${timeColumn}`;
    let t = this.cache.get(key);
    if (t === undefined) this.cache.set(key, (t = this.read(name, timeColumn)));
    return t;
  }

  /** Forget every table read, so that the next read sees files written since (after a replay). */
  clear(): void {
    this.cache.clear();
  }

  private async read(name: string, timeColumn: string): Promise<FeatureTable | undefined> {
    const file = this.file(name);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let table;
    try {
      table = tableFromIPC(bytes);
    } catch (err) {
      throw new Error(`feature table ${file} is unreadable: ${(err as Error).message}`);
    }
    if (table.numCols > 0 && table.schema.fields.every((f) => f.name !== timeColumn)) {
      throw new Error(`feature table ${file} has no time column "${timeColumn}"`);
    }
    // One running dictionary per column: each record batch's dictionary extends the one before.
    const dictionaries = new Map<string, Dictionary>();
    const batches = table.batches.map((rb) => fromRecordBatch(rb, timeColumn, dictionaries));
    return { batches, metadata: table.schema.metadata };
  }
}
