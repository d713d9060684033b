import { join } from 'node:path';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import { writeArrowFile } from './writeTable.js';

/** One written output table. */
export interface TableSummary {
  name: string;
  kind: 'events' | 'windows';
  rows: number;
  columns: string[];
  file: string;
}

/**
 * Write each output table of a feature set as one Arrow IPC file `<out>/<table>.arrow`, with its
 * provenance in the schema metadata (feature set, config hash, feature identities). Replay and live
 * write the same way, so their tables compare file to file.
 */
export async function writeFeatureTables(
  compiled: CompiledFeatureSet,
  collected: Readonly<Record<string, readonly Batch[]>>,
  out: string,
  onTable?: (written: number, total: number) => void,
): Promise<TableSummary[]> {
  const tables: TableSummary[] = [];
  for (const t of compiled.tables) {
    const identities = compiled.nodes.filter((n) => n.names.some((x) => t.features.includes(x))).flatMap((n) => n.names.map((x) => [x, n.identity]));
    const metadata = {
      'tributary.feature_set': compiled.config.name,
      'tributary.config_hash': compiled.config.hash,
      'tributary.features': JSON.stringify(Object.fromEntries(identities)),
    };
    const file = join(out, `${t.name}.arrow`);
    const table = await writeArrowFile(file, collected[t.name] ?? [], t.timeColumn, metadata);
    tables.push({ name: t.name, kind: t.kind, rows: table.numRows, columns: table.schema.fields.map((f) => f.name), file });
    onTable?.(tables.length, compiled.tables.length);
  }
  return tables;
}
