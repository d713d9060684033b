import { Table } from 'apache-arrow';
import { toRecordBatch } from '../../pipelines/data/arrow.js';
import type { Column } from '../../pipelines/data/column.js';
import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { FeatureCatalog, StoredColumnRef } from './featureCatalog.js';
import { lookupValue } from './keyGroup.js';

/** Which rows `getFeatures` returns: every filter must hold. */
export interface FeatureQuery {
  /** Key filters: rows whose key column takes one of these values. */
  keys?: Readonly<Record<string, readonly DictionaryValue[]>>;
  /** Rows with `from <= time < to` (epoch ms); unbounded by default. */
  from?: number;
  to?: number;
}

/**
 * The small-big-data store's `get_features(names, filters, time range)`: the rows of the table that
 * holds `names`, filtered, as an Arrow Table with the time column (Timestamp ms, named as in the
 * table: the source's time column or `window_end`), the key columns, `window_start` for window
 * tables, and the requested feature columns, in the order asked. A copy, in row (append) order.
 *
 * All names must come from one table (a table is one entity's rows at its own times; joining two is
 * an as-of join, see `FeatureStore.asOf`).
 *
 * @example
 * const t = getFeatures(catalog, ['spend_30d', 'txn_count_1d'], { keys: { card_id: ['c1', 'c2'] }, from: Date.UTC(2024, 0, 2) });
 * t.numRows; t.schema.fields.map((f) => f.name); // ['ts', 'card_id', 'user_id', 'merchant_id', 'merchant_bucket', 'spend_30d', 'txn_count_1d']
 */
export function getFeatures(catalog: FeatureCatalog, names: readonly string[], query: FeatureQuery = {}): Table {
  if (names.length === 0) throw new Error('getFeatures needs at least one feature name');
  const refs: StoredColumnRef[] = [];
  for (const name of names) for (const r of catalog.resolve(name)) if (!refs.some((x) => x.column === r.column)) refs.push(r);
  const tables = [...new Set(refs.map((r) => r.table))];
  if (tables.length > 1) {
    const where = tables.map((t) => `${t.name}: ${refs.filter((r) => r.table === t).map((r) => r.column).join(', ')}`).join('; ');
    throw new Error(`getFeatures reads one table at a time, and these features come from ${tables.length} (${where}); join them with asOf`);
  }
  const table = tables[0]!;
  const from = query.from ?? -Infinity;
  const to = query.to ?? Infinity;

  // Key filters become one byte per dictionary code, so the row loop only indexes typed arrays.
  const filters: { codes: { chunks: Int32Array[] }; allowed: Uint8Array }[] = [];
  for (const [column, values] of Object.entries(query.keys ?? {})) {
    const key = table.keyColumns.get(column);
    if (key === undefined) throw new Error(`table ${table.name} has no key column "${column}"; its key columns are ${table.keyNames.join(', ')}`);
    const allowed = new Uint8Array(key.dictionary.size + 1);
    for (const v of values) {
      const code = lookupValue(key.dictionary, v);
      if (code >= 0) allowed[code] = 1;
    }
    filters.push({ codes: key.codes, allowed });
  }

  const n = table.length;
  const rows = new Int32Array(n);
  let count = 0;
  const { shift, mask } = table.time;
  const timeChunks = table.time.chunks;
  for (let r = 0; r < n; r++) {
    const t = timeChunks[r >> shift]![r & mask]!;
    if (!(t >= from && t < to)) continue;
    let ok = true;
    for (let f = 0; f < filters.length && ok; f++) {
      const code = filters[f]!.codes.chunks[r >> shift]![r & mask]!;
      ok = code >= 0 && filters[f]!.allowed[code] === 1;
    }
    if (ok) rows[count++] = r;
  }

  const columns: Record<string, Column> = {};
  for (const k of table.keyColumns.values()) {
    const validity = k.codes.gatherValidity(rows, count);
    columns[k.name] = { type: 'dictionary', codes: k.codes.gather(rows, count), dictionary: k.dictionary, ...(validity && { validity }) };
  }
  const wanted = table.spec.kind === 'windows' ? ['window_start', ...refs.map((r) => r.column)] : refs.map((r) => r.column);
  for (const name of wanted) {
    const chunks = table.valueColumns.get(name)!;
    const type = table.spec.columns.find((c) => c.name === name)!.type;
    const validity = chunks.gatherValidity(rows, count);
    columns[name] = { type, values: chunks.gather(rows, count), ...(validity && { validity }) };
  }
  const batch = { length: count, time: table.time.gather(rows, count), columns };
  return new Table([toRecordBatch(batch, table.spec.timeColumn)]);
}
