import { join } from 'node:path';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { parseExpression, type Expression } from '../../pipelines/expressions/index.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { EventLog } from '../log/eventLog.js';
import type { SourceLog } from '../log/sourceLog.js';
import type { LabelEventSource } from './sources.js';

/**
 * A source's events read from the Kappa event log, the single source of truth, with the source's
 * computed columns added (a label may look ahead at `notional` as well as at `price`).
 *
 * Every recorded event is returned, late ones included: what happened after a row's time is a fact
 * for its label, whether or not it reached a sliding feature in time.
 *
 * @example
 * const events = new LogEventSource(config);           // opens <data_dir>/log
 * const trades = await events.events('trades');         // Batch[], arrival order
 */
export class LogEventSource implements LabelEventSource {
  private log: Promise<Record<string, SourceLog | undefined>> | undefined;
  private readonly cache = new Map<string, Promise<readonly Batch[]>>();

  /** `logs`: source logs already open (as `openSources` returns them); default: open `<data_dir>/log`. */
  constructor(
    private readonly config: FeatureSetConfig,
    logs?: Readonly<Record<string, SourceLog>>,
  ) {
    if (logs !== undefined) this.log = Promise.resolve({ ...logs });
  }

  events(source: string): Promise<readonly Batch[]> {
    let p = this.cache.get(source);
    if (p === undefined) this.cache.set(source, (p = this.read(source)));
    return p;
  }

  private async read(source: string): Promise<readonly Batch[]> {
    const spec = this.config.sources[source];
    if (spec === undefined) throw new Error(`unknown source "${source}"`);
    this.log ??= EventLog.open(join(this.config.dataDir, 'log')).then((l) => Object.fromEntries(l.sources().map((s) => [s, l.source(s)])));
    const log = (await this.log)[source];
    if (log === undefined) {
      throw new Error(`source "${source}" has no event log in ${join(this.config.dataDir, 'log')}: import or replay the config first`);
    }
    const derive: [string, Expression][] = Object.entries(spec.derive).map(([name, text]) => [name, parseExpression(text)]);
    const out: Batch[] = [];
    for await (const b of log.read()) {
      if (derive.length === 0 || b.length === 0) {
        out.push(b);
        continue;
      }
      // In order, so that each computed column may use those before it (as deriveColumns does).
      const columns: Record<string, Column> = { ...b.columns };
      for (const [name, e] of derive) columns[name] = e.evaluate({ ...b, columns });
      out.push({ ...b, columns });
    }
    return out;
  }
}
