import { closest } from '../../pipelines/expressions/suggest.js';
import type { FeatureTable } from './featureTable.js';
import type { FeatureSpec } from './tableSpec.js';

/** One stored feature column, and where it lives. */
export interface StoredColumnRef {
  column: string;
  table: FeatureTable;
  feature: FeatureSpec;
}

/** A name that is neither a stored column nor a feature, with the nearest known name. */
export class UnknownFeatureError extends Error {
  constructor(
    readonly feature: string,
    readonly suggestion: string | undefined,
  ) {
    super(`unknown feature "${feature}"${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`);
    this.name = 'UnknownFeatureError';
  }
}

/**
 * Which table and column each feature name means. A name is an output column (`spend_30d`,
 * `amount_stats_mean`) or a config feature name, which stands for all of its columns (`spend` is
 * `spend_30d`, `spend_60d`, `spend_90d`). Column names win when both match.
 *
 * @example
 * const catalog = new FeatureCatalog(store.tables());
 * catalog.resolve('spend').map((r) => r.column); // ['spend_30d', 'spend_60d', 'spend_90d']
 */
export class FeatureCatalog {
  private readonly columns = new Map<string, StoredColumnRef[]>();
  private readonly features = new Map<string, StoredColumnRef[]>();

  constructor(tables: Iterable<FeatureTable>) {
    for (const table of tables) {
      for (const feature of table.spec.features) {
        const refs = feature.columns.map((column) => ({ column, table, feature }));
        for (const r of refs) this.columns.set(r.column, [...(this.columns.get(r.column) ?? []), r]);
        this.features.set(feature.name, [...(this.features.get(feature.name) ?? []), ...refs]);
      }
    }
  }

  /** The stored columns `name` stands for. @throws UnknownFeatureError, or Error when two tables hold the name */
  resolve(name: string): StoredColumnRef[] {
    const refs = this.columns.get(name) ?? this.features.get(name);
    if (refs === undefined) throw new UnknownFeatureError(name, closest(name, this.names()));
    const tables = [...new Set(refs.map((r) => r.table.name))];
    if (this.columns.has(name) && refs.length > 1) throw new Error(`feature "${name}" is a column of several stored tables (${tables.join(', ')})`);
    return refs;
  }

  has(name: string): boolean {
    return this.columns.has(name) || this.features.has(name);
  }

  /** Every name that resolves: columns, then feature names. */
  names(): string[] {
    return [...new Set([...this.columns.keys(), ...this.features.keys()])];
  }

  /** Every stored column, in table order. */
  allColumns(): StoredColumnRef[] {
    return [...this.columns.values()].map((refs) => refs[0]!);
  }
}
