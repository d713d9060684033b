import type { Batch } from '../../pipelines/data/batch.js';

/**
 * Where the labeler reads its inputs. Two small interfaces, so that the Arrow files written by
 * `replay` (today) and the shared-memory feature store (being built) can stand behind the same
 * assembly code without it knowing which one it talks to.
 */

/** The rows of one output table of a feature set, as batches sharing their dictionaries. */
export interface FeatureTable {
  readonly batches: readonly Batch[];
  /** Schema metadata the table was written with (`tributary.features` holds the feature identities). */
  readonly metadata: ReadonlyMap<string, string>;
}

/**
 * Output tables of a feature set by name: a source's events table (its events with their
 * point-in-time features) or a windowed feature's table (key columns, `window_start`, values).
 *
 * @example
 * const tables = new ArrowFileTables('.tributary/payments/features');
 * const t = await tables.table('transactions', 'ts'); // undefined when replay has not written it
 */
export interface FeatureTableSource {
  /**
   * The table, or undefined when there is none. `timeColumn` is the name its time column was
   * written under (the source's time column, or `window_end`); it becomes `Batch.time`.
   */
  table(name: string, timeColumn: string): Promise<FeatureTable | undefined>;
}

/**
 * The recorded events of a source, for labels (which look ahead at them) and for a spine source
 * that has no events table of its own.
 *
 * @example
 * const events = new LogEventSource(config);
 * const reports = await events.events('fraud_reports'); // every event, arrival order, with computed columns
 */
export interface LabelEventSource {
  /**
   * Every recorded event of `source`, in arrival order, with the source's computed (`derive`)
   * columns. Batches share their dictionaries, so they concatenate without re-coding.
   */
  events(source: string): Promise<readonly Batch[]>;
}
