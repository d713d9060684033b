import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { FeatureCatalog } from './featureCatalog.js';
import type { FeatureTable, GroupState } from './featureTable.js';
import type { SharedChunks } from './sharedChunks.js';

/**
 * A resolved online read: which key groups to look up and which columns to read at their latest
 * rows. Planning resolves names once; fetching with a plan is typed-array reads only, so a caller
 * that serves the same feature list again and again (an online endpoint) caches the plan.
 */
export interface OnlinePlan {
  /** Output columns, in order. */
  readonly columns: readonly string[];
  /** Key columns a request must give, in first-use order. */
  readonly keyColumns: readonly string[];
  readonly groups: readonly { readonly table: FeatureTable; readonly state: GroupState; readonly columns: readonly string[] }[];
  readonly features: readonly {
    readonly column: string;
    readonly group: number;
    readonly chunks: SharedChunks<'f64'>;
    readonly default: number | undefined;
    readonly maxStaleness: number;
  }[];
}

/**
 * Latest vectors of n keys, row-major: feature j of key i is at `i * columns.length + j`.
 * `valid` is 0 where the value is null; `stale` is 1 where the key's row was older than the
 * feature's max staleness (the value is then the default, or null).
 */
export interface OnlineVectors {
  readonly n: number;
  readonly columns: readonly string[];
  readonly values: Float64Array;
  readonly valid: Uint8Array;
  readonly stale: Uint8Array;
}

/**
 * Plan an online read of `names` (feature columns or config feature names; each once).
 * @throws UnknownFeatureError for a name the catalog does not know
 *
 * @example
 * const plan = planOnline(catalog, ['spend_30d', 'failed_logins_1d']);
 * plan.keyColumns; // ['card_id', 'user_id']
 */
export function planOnline(catalog: FeatureCatalog, names: readonly string[]): OnlinePlan {
  const columns: string[] = [];
  const keyColumns: string[] = [];
  const groups: { table: FeatureTable; state: GroupState; columns: string[] }[] = [];
  const features: OnlinePlan['features'][number][] = [];
  for (const name of names) {
    for (const ref of catalog.resolve(name)) {
      if (columns.includes(ref.column)) continue;
      const state = ref.table.group(ref.feature.key);
      let g = groups.findIndex((x) => x.state === state);
      if (g < 0) {
        g = groups.push({ table: ref.table, state, columns: [...state.group.columns] }) - 1;
        for (const k of state.group.columns) if (!keyColumns.includes(k)) keyColumns.push(k);
      }
      columns.push(ref.column);
      features.push({
        column: ref.column,
        group: g,
        chunks: ref.table.valueColumns.get(ref.column)!,
        default: ref.feature.default,
        maxStaleness: ref.feature.maxStaleness ?? Infinity,
      });
    }
  }
  return { columns, keyColumns, groups, features };
}

/**
 * The latest vector of each of n keys. `keys[column][i]` is key i's value of each key column the plan
 * needs (null or a missing column: the key has no row). `now` (epoch ms) is what staleness is measured
 * against: a row older than `now - maxStaleness` serves the feature's default, or null.
 * A key with no row at all also serves the default, or null.
 *
 * @example
 * const v = fetchOnline(plan, { card_id: ['c1'], user_id: ['u9'] }, 1, Date.now());
 * v.valid[0] ? v.values[0] : null; // spend_30d of c1
 */
export function fetchOnline(plan: OnlinePlan, keys: Readonly<Record<string, readonly (DictionaryValue | null)[]>>, n: number, now: number): OnlineVectors {
  const m = plan.features.length;
  const values = new Float64Array(n * m);
  const valid = new Uint8Array(n * m);
  const stale = new Uint8Array(n * m);
  const g = plan.groups.length;
  const rows = new Int32Array(g);
  const ages = new Float64Array(g);
  const tuple: DictionaryValue[] = [];
  for (let i = 0; i < n; i++) {
    for (let x = 0; x < g; x++) {
      const group = plan.groups[x]!;
      let missing = false;
      tuple.length = group.columns.length;
      for (let c = 0; c < group.columns.length; c++) {
        const v = keys[group.columns[c]!]?.[i];
        if (v === null || v === undefined) missing = true;
        else tuple[c] = v;
      }
      const code = missing ? -1 : group.state.group.lookupValues(tuple);
      const row = group.state.latest.row(code);
      rows[x] = row;
      ages[x] = row < 0 ? Infinity : now - group.state.latest.time(code);
    }
    const base = i * m;
    for (let j = 0; j < m; j++) {
      const f = plan.features[j]!;
      const row = rows[f.group]!;
      const tooOld = row >= 0 && ages[f.group]! > f.maxStaleness;
      if (row >= 0 && !tooOld) {
        if (f.chunks.isValid(row)) {
          values[base + j] = f.chunks.get(row);
          valid[base + j] = 1;
        }
        continue;
      }
      if (tooOld) stale[base + j] = 1;
      if (f.default !== undefined) {
        values[base + j] = f.default;
        valid[base + j] = 1;
      }
    }
  }
  return { n, columns: plan.columns, values, valid, stale };
}
