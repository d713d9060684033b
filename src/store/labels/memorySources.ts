import type { Batch } from '../../pipelines/data/batch.js';
import type { FeatureTable, FeatureTableSource, LabelEventSource } from './sources.js';

/**
 * Tables and events held in memory: for tests, benchmarks, and callers that computed features
 * themselves (for example with `runInProcess`) and want a set without writing files.
 *
 * @example
 * const tables = new MemoryTables({ logins: [loginBatch] });
 * const events = new MemoryEvents({ fraud_reports: [reportBatch] });
 * await assembleSet(compiled, 'fraud', { tables, events });
 */
export class MemoryTables implements FeatureTableSource {
  constructor(
    private readonly tables: Readonly<Record<string, readonly Batch[]>>,
    private readonly metadata: ReadonlyMap<string, string> = new Map(),
  ) {}

  async table(name: string): Promise<FeatureTable | undefined> {
    const batches = this.tables[name];
    return batches === undefined ? undefined : { batches, metadata: this.metadata };
  }
}

/** Source events held in memory (computed columns included, if the labels read any). */
export class MemoryEvents implements LabelEventSource {
  constructor(private readonly sources: Readonly<Record<string, readonly Batch[]>>) {}

  async events(source: string): Promise<readonly Batch[]> {
    const batches = this.sources[source];
    if (batches === undefined) throw new Error(`no events for source "${source}"`);
    return batches;
  }
}
