import { join } from 'node:path';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import type { TableSummary } from '../../sdk/replay.js';
import { writeArrowFile } from '../../store/output/writeTable.js';

/**
 * Write each output table's batches as one Arrow IPC file `<out>/<table>.arrow`, with the same
 * metadata replay writes (feature set, config hash, feature identities), so live and replayed tables
 * can be compared file to file.
 */
export async function writeOutputs(compiled: CompiledFeatureSet, collected: Readonly<Record<string, Batch[]>>, out: string): Promise<TableSummary[]> {
  const tables: TableSummary[] = [];
  for (const t of compiled.tables) {
    const file = join(out, `${t.name}.arrow`);
    const identities = compiled.nodes.filter((n) => n.names.some((x) => t.features.includes(x))).flatMap((n) => n.names.map((x) => [x, n.identity]));
    const metadata = {
      'tributary.feature_set': compiled.config.name,
      'tributary.config_hash': compiled.config.hash,
      'tributary.features': JSON.stringify(Object.fromEntries(identities)),
    };
    const table = await writeArrowFile(file, collected[t.name] ?? [], t.timeColumn, metadata);
    tables.push({ name: t.name, kind: t.kind, rows: table.numRows, columns: table.schema.fields.map((f) => f.name), file });
  }
  return tables;
}
