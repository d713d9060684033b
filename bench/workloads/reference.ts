import { makeBatch, type Batch } from '../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../src/pipelines/data/column.js';
import { Dictionary } from '../../src/pipelines/data/dictionary.js';

/**
 * The reference workload of the sliding-window benchmark (the numbers): 10M events over
 * 10k keys in 24 h, a value per event. Generated in memory, deterministically from a seed:
 * - times: integer epoch ms, sorted, uniform over the span (exponential spacings, so no sort);
 *   with 10M events in 86.4M ms about one event in nine shares its millisecond with a neighbour;
 * - keys: uniform over `keys` dictionary codes, the dictionary holding `key-00000`...;
 * - values: normal(100, 20), so sums and means are never near zero (relative checks stay meaningful).
 */
export interface ReferenceWorkloadOptions {
  events: number;
  keys: number;
  /** Span of event times, ms. */
  spanMs: number;
  /** First event time, epoch ms. */
  startMs: number;
  seed: number;
}

export const REFERENCE_DEFAULTS: ReferenceWorkloadOptions = {
  events: 10_000_000,
  keys: 10_000,
  spanMs: 24 * 3_600_000,
  startMs: Date.UTC(2024, 0, 1),
  seed: 20240101,
};

export interface ReferenceWorkload {
  readonly options: ReferenceWorkloadOptions;
  readonly time: Float64Array;
  /** Dictionary codes of the key of every event. */
  readonly keys: Int32Array;
  readonly values: Float64Array;
  readonly dictionary: Dictionary;
}

/** sfc32: a small, fast, well-distributed 32-bit PRNG. Returns uniforms in [0, 1). */
export function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

export function generateReference(opts: Partial<ReferenceWorkloadOptions> = {}): ReferenceWorkload {
  const o = { ...REFERENCE_DEFAULTS, ...opts };
  const n = o.events;
  const rand = sfc32(o.seed);

  // Sorted uniform times: cumulative exponential spacings, scaled to the span (n + 1 spacings).
  const time = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += -Math.log(1 - rand());
    time[i] = acc;
  }
  const total = acc - Math.log(1 - rand());
  const scale = o.spanMs / total;
  for (let i = 0; i < n; i++) time[i] = o.startMs + Math.floor(time[i]! * scale);

  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.floor(rand() * o.keys);

  // Box-Muller, two normals per pair of uniforms.
  const values = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const th = 2 * Math.PI * rand();
    values[i] = 100 + 20 * r * Math.cos(th);
    if (i + 1 < n) values[i + 1] = 100 + 20 * r * Math.sin(th);
  }

  const dictionary = new Dictionary();
  for (let k = 0; k < o.keys; k++) dictionary.encode(`key-${String(k).padStart(5, '0')}`);
  return { options: o, time, keys, values, dictionary };
}

/**
 * The workload as Tributary batches of `rows` rows: views over the workload's arrays (no copy), the
 * key a DictColumn over `dictionary` (default the workload's), the value a float64 column.
 */
export function referenceBatches(w: ReferenceWorkload, rows = 65_536, dictionary: Dictionary = w.dictionary, limit = w.time.length): Batch[] {
  const out: Batch[] = [];
  for (let s = 0; s < limit; s += rows) {
    const e = Math.min(limit, s + rows);
    out.push(
      makeBatch(w.time.subarray(s, e), {
        key: dictColumn(w.keys.subarray(s, e), dictionary),
        value: float64Column(w.values.subarray(s, e)),
      }),
    );
  }
  return out;
}

/** The feature of the reference workload: 1 h sliding count, sum and mean of `value` per `key`. */
export const REFERENCE_FEATURE = 'value_1h';

/** The reference workload's feature set, as config text. */
export function referenceConfigText(name: string): string {
  return [
    `name: ${name}`,
    'sources:',
    '  events:',
    '    time: t',
    '    time_format: epoch_ms',
    '    keys: [key]',
    '    lateness: 0s',
    '    columns: { key: string, value: float64 }',
    'features:',
    `  - name: ${REFERENCE_FEATURE}`,
    '    source: events',
    '    column: value',
    '    ops: [count, sum, mean]',
    '    window: 1h',
    '',
  ].join('\n');
}
