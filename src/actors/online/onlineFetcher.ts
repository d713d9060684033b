import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import { closest } from '../../pipelines/expressions/suggest.js';
import { FeatureCatalog, UnknownFeatureError } from '../../store/features/featureCatalog.js';
import type { FeatureStore } from '../../store/features/featureStore.js';
import type { FeatureTable } from '../../store/features/featureTable.js';
import { fetchOnline, planOnline, type OnlinePlan } from '../../store/features/onlineView.js';
import { keyColumnsOf, tableSpecsFor } from '../../store/features/tableSpec.js';
import { evaluateDerived, type FetchedColumn, type FetchTimeDerived } from './derivedAtFetch.js';
import { DEFAULT_LIMITS, parseFetchRequest, RequestError, type FetchRequest, type RequestLimits } from './request.js';

/** The latest vector of one key: feature → value, null where there is none. */
export type FeatureValues = Record<string, number | null>;

/**
 * A reply, as sent back (JSON):
 *   one key:   { "id"?, "values": { "spend_30d": 120.5, "amount_z": null }, "stale"?: ["spend_30d"] }
 *   many keys: { "id"?, "results": [ { "values": {...}, "stale"?: [...] }, ... ] }   (in request order)
 *   an error:  { "id"?, "error": "unknown feature \"spnd_30d\"; did you mean \"spend_30d\"?" }
 * `stale` lists the features whose latest row was older than their max staleness (served as their
 * default, or null).
 */
export type FetchReply =
  | { id?: string | number; values: FeatureValues; stale?: string[] }
  | { id?: string | number; results: { values: FeatureValues; stale?: string[] }[] }
  | { id?: string | number; error: string };

export interface OnlineFetcherOptions {
  limits?: Partial<RequestLimits>;
  /** The time staleness is measured against when a request gives no `now` (default Date.now). */
  clock?: () => number;
}

/** A resolved feature list: what to read from the store, what to compute, and in which order to reply. */
interface FetchPlan {
  output: readonly string[];
  /** For each output name: its column in the store read (>= 0), or -(1 + its index in `derived`). */
  slots: Int32Array;
  online: OnlinePlan;
  derived: FetchTimeDerived[];
  /** Stored columns the derived features read: name → column index in the store read. */
  derivedInputs: [string, number][];
  keyColumns: readonly string[];
  /** For an error message: a feature that needs each key column. */
  neededBy: ReadonlyMap<string, string>;
}

interface MixedDerived extends FetchTimeDerived {
  uses: readonly string[];
}

const PLAN_CACHE = 256;

/**
 * Serves latest feature vectors from a store: the core of the online endpoints (ZeroMQ, HTTP), with
 * no transport in it. Derived features are computed at fetch time: those of one source are columns
 * of its table already; those that mix sources are evaluated over the fetched vectors.
 *
 * Resolved feature lists are cached, so a repeated request costs key lookups, typed-array reads and
 * the JSON reply.
 *
 * @example
 * const fetcher = await OnlineFetcher.create(store, compileFeatureSet(config, registry));
 * fetcher.handle('{"keys":{"card_id":"c1","user_id":"u9"},"features":["spend_30d","login_failure_rate_1d"]}');
 * // { status: 200, body: '{"values":{"spend_30d":120.5,"login_failure_rate_1d":0.25}}' }
 */
export class OnlineFetcher {
  private readonly limits: RequestLimits;
  private readonly clock: () => number;
  private readonly tableNames: string[];
  private readonly mixed = new Map<string, MixedDerived>();
  private readonly keyColumns = new Set<string>();
  private tables: FeatureTable[] = [];
  private catalog!: FeatureCatalog;
  private readonly plans = new Map<string, FetchPlan>();

  private constructor(
    private readonly store: FeatureStore,
    compiled: CompiledFeatureSet,
    opts: OnlineFetcherOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.clock = opts.clock ?? Date.now;
    const specs = tableSpecsFor(compiled);
    this.tableNames = specs.map((s) => s.name);
    for (const s of specs) for (const k of keyColumnsOf(s)) this.keyColumns.add(k);
    for (const d of compiled.derived) if (d.source === undefined) this.mixed.set(d.name, { name: d.name, expression: d.expression, uses: d.uses });
  }

  /** A fetcher over `store` for the feature set's tables (defined in the store when missing, empty). */
  static async create(store: FeatureStore, compiled: CompiledFeatureSet, opts: OnlineFetcherOptions = {}): Promise<OnlineFetcher> {
    for (const spec of tableSpecsFor(compiled)) await store.defineTable(spec);
    const f = new OnlineFetcher(store, compiled, opts);
    f.refresh();
    return f;
  }

  /** Every feature a request may name, with the key columns it needs. */
  features(): { name: string; key: string[]; derived: boolean }[] {
    this.refresh();
    const stored = this.catalog.allColumns().map((r) => ({ name: r.column, key: [...r.feature.key], derived: r.feature.expr !== undefined }));
    const mixed = [...this.mixed.keys()].map((name) => ({ name, key: this.keyOf(name), derived: true }));
    return [...stored, ...mixed];
  }

  /** Serve a request body: a JSON reply and its HTTP status. Never throws. */
  handle(body: string | Uint8Array): { status: number; body: string } {
    try {
      return { status: 200, body: JSON.stringify(this.fetch(parseFetchRequest(body, this.limits))) };
    } catch (err) {
      return errorReply(err);
    }
  }

  /** Serve a parsed request. @throws RequestError */
  fetch(req: FetchRequest): FetchReply {
    this.refresh();
    const id = req.id;
    const fail = (message: string): never => {
      throw new RequestError(message, 400, id);
    };
    for (const [i, entry] of req.keys.entries()) {
      for (const k of Object.keys(entry)) {
        if (!this.keyColumns.has(k)) {
          const hint = closest(k, this.keyColumns);
          fail(`unknown key column "${k}"${hint === undefined ? '' : `; did you mean "${hint}"?`} (key columns: ${[...this.keyColumns].join(', ')})${req.single ? '' : ` in keys[${i}]`}`);
        }
      }
    }
    const plan = this.planFor(req, fail);
    const n = req.keys.length;
    const keys: Record<string, (DictionaryValue | null)[]> = {};
    for (const k of plan.keyColumns) keys[k] = new Array<DictionaryValue | null>(n);
    for (let i = 0; i < n; i++) {
      const entry = req.keys[i]!;
      for (const k of plan.keyColumns) {
        const v = entry[k];
        if (v === undefined) fail(`${req.single ? 'keys' : `keys[${i}]`} has no "${k}", which ${plan.neededBy.get(k)} needs`);
        keys[k]![i] = v!;
      }
    }
    const now = req.now ?? this.clock();
    const vectors = fetchOnline(plan.online, keys, n, now);
    const m = plan.online.columns.length;

    let derived: Record<string, FetchedColumn> = {};
    if (plan.derived.length > 0) {
      const inputs: Record<string, FetchedColumn> = {};
      for (const [name, j] of plan.derivedInputs) {
        const values = new Float64Array(n);
        const valid = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          values[i] = vectors.values[i * m + j]!;
          valid[i] = vectors.valid[i * m + j]!;
        }
        inputs[name] = { values, valid };
      }
      derived = evaluateDerived(plan.derived, inputs, n, now);
    }

    const vectorOf = (i: number): { values: FeatureValues; stale?: string[] } => {
      const values: FeatureValues = {};
      let stale: string[] | undefined;
      for (let o = 0; o < plan.output.length; o++) {
        const name = plan.output[o]!;
        const slot = plan.slots[o]!;
        if (slot >= 0) {
          const at = i * m + slot;
          values[name] = vectors.valid[at] === 1 ? finite(vectors.values[at]!) : null;
          if (vectors.stale[at] === 1) (stale ??= []).push(name);
        } else {
          const d = derived[plan.derived[-1 - slot]!.name]!;
          values[name] = d.valid[i] === 1 ? finite(d.values[i]!) : null;
        }
      }
      return stale === undefined ? { values } : { values, stale };
    };
    const idPart = id === undefined ? {} : { id };
    if (req.single) return { ...idPart, ...vectorOf(0) };
    return { ...idPart, results: Array.from({ length: n }, (_, i) => vectorOf(i)) };
  }

  /** The store's tables may have been replaced (a replay in this process): re-resolve when they were. */
  private refresh(): void {
    const current = this.tableNames.map((n) => this.store.table(n));
    if (current.length === this.tables.length && current.every((t, i) => t === this.tables[i])) return;
    this.tables = current;
    this.catalog = new FeatureCatalog(current);
    this.plans.clear();
  }

  private planFor(req: FetchRequest, fail: (message: string) => never): FetchPlan {
    const given = Object.keys(req.keys[0]!).sort();
    const cacheKey = req.features === undefined ? `*${given.join('\u0000')}` : req.features.join('\u0000');
    let plan = this.plans.get(cacheKey);
    if (plan === undefined) {
      const names = req.features ?? this.defaultFeatures(new Set(given));
      if (names.length === 0) fail(`no feature is keyed by ${given.join(', ')} alone; name the features, or give their key columns`);
      plan = this.resolve(names, fail);
      if (this.plans.size >= PLAN_CACHE) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(cacheKey, plan);
    }
    return plan;
  }

  /** Every feature (stored column or mixed derived) whose key columns are all in `given`. */
  private defaultFeatures(given: ReadonlySet<string>): string[] {
    const stored = this.catalog.allColumns().filter((r) => r.feature.key.every((k) => given.has(k))).map((r) => r.column);
    const mixed = [...this.mixed.keys()].filter((name) => this.keyOf(name).every((k) => given.has(k)));
    return [...stored, ...mixed];
  }

  /** Key columns of a stored column or derived feature (a derived one needs those of everything it reads). */
  private keyOf(name: string, seen = new Set<string>()): string[] {
    const d = this.mixed.get(name);
    if (d === undefined) return [...this.catalog.resolve(name)[0]!.feature.key];
    if (seen.has(name)) return [];
    seen.add(name);
    return [...new Set(d.uses.flatMap((u) => this.keyOf(u, seen)))];
  }

  private resolve(names: readonly string[], fail: (message: string) => never): FetchPlan {
    const output: string[] = [];
    const storedWanted: string[] = [];
    const derivedWanted = new Set<string>();
    const addDerived = (name: string): void => {
      if (derivedWanted.has(name)) return;
      for (const u of this.mixed.get(name)!.uses) {
        if (this.mixed.has(u)) addDerived(u);
        else if (!storedWanted.includes(u)) storedWanted.push(u);
      }
      derivedWanted.add(name);
    };
    for (const name of names) {
      if (this.mixed.has(name)) {
        if (!output.includes(name)) output.push(name);
        addDerived(name);
        continue;
      }
      let refs;
      try {
        refs = this.catalog.resolve(name);
      } catch (err) {
        if (!(err instanceof UnknownFeatureError)) throw err;
        const hint = closest(name, [...this.catalog.names(), ...this.mixed.keys()]);
        return fail(`unknown feature "${name}"${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
      }
      for (const r of refs) {
        if (!output.includes(r.column)) output.push(r.column);
        if (!storedWanted.includes(r.column)) storedWanted.push(r.column);
      }
    }
    const online = planOnline(this.catalog, storedWanted);
    // In config order, which is dependency order (a derived feature reads only those before it).
    const derived = [...this.mixed.values()].filter((d) => derivedWanted.has(d.name)).map((d) => ({ name: d.name, expression: d.expression }));
    const derivedOrder = derived.map((d) => d.name);
    const slots = Int32Array.from(output, (name) => (this.mixed.has(name) ? -1 - derivedOrder.indexOf(name) : online.columns.indexOf(name)));
    const derivedInputs: [string, number][] = [];
    for (const d of derived) {
      for (const u of this.mixed.get(d.name)!.uses) {
        if (!this.mixed.has(u) && !derivedInputs.some(([x]) => x === u)) derivedInputs.push([u, online.columns.indexOf(u)]);
      }
    }
    const neededBy = new Map<string, string>();
    for (const name of output) for (const k of this.keyOf(name)) if (!neededBy.has(k)) neededBy.set(k, `feature "${name}"`);
    const keyColumns = [...new Set([...online.keyColumns, ...neededBy.keys()])];
    return { output, slots, online, derived, derivedInputs, keyColumns, neededBy };
  }
}

/** JSON has no NaN or Infinity: such a value is sent as null. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The reply for a failed request: the client's fault (4xx) or ours (500), never a crash. */
export function errorReply(err: unknown): { status: number; body: string } {
  if (err instanceof RequestError) return { status: err.status, body: JSON.stringify({ ...(err.id !== undefined && { id: err.id }), error: err.message }) };
  return { status: 500, body: JSON.stringify({ error: `internal error: ${(err as Error)?.message ?? String(err)}` }) };
}
