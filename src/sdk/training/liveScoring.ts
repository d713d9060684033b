import { join } from 'node:path';
import type { LiveOptions } from '../../actors/live/runLive.js';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../pipelines/data/batch.js';
import { LiveFeatureRows, type LiveRowCounts } from './liveFeatureRows.js';
import { LiveScorer } from './liveScorer.js';
import type { ModelMeta } from './model.js';
import { predictionsOf, type Predictions } from './modelOutput.js';
import { PredictionLog } from './predictionLog.js';
import type { tf } from './tf.js';

export interface LiveScoringOptions {
  /** The predictions file, an Arrow IPC stream (default `<data_dir>/live/predictions/<set>.arrows`). */
  file?: string;
  /** See `LiveFeatureRowsOptions.maxHoldMs` (default: no bound). */
  maxHoldMs?: number;
  /** See `LiveFeatureRowsOptions.compactRows`. */
  compactRows?: number;
  /** Told of every scored micro-batch: its rows (keys, time, features), predictions, and how long assembling, scoring and writing took. */
  onScored?: (rows: Batch, p: Predictions, ms: number) => void;
}

export interface LiveScoringSummary {
  set: string;
  file: string;
  /** Rows scored, each once. */
  scored: number;
  /** `predict` calls: one per micro-batch of ready rows. */
  batches: number;
  rows: LiveRowCounts;
  /** Per micro-batch: assembling the rows, one predict, appending them to the file, ms. */
  latencyMs: { p50: number; p99: number; max: number };
}

/**
 * Live scoring: a live run's new feature rows (`LiveFeatureRows`), scored by a trained model a
 * micro-batch at a time (`LiveScorer`), written to a predictions file as they come
 * (`PredictionLog`). Plug `hooks` into `startLive`, and call `finish()` after the run stopped.
 *
 * @example
 * const { model, meta } = await loadModel('.tributary/payments/models/fraud_7d-logistic');
 * const compiled = compileFeatureSet(config, await registryFor(config));
 * const scoring = new LiveScoring(compiled, model, meta);
 * const run = await startLive(config, { ...scoring.hooks });
 * // ... later
 * await run.stop();
 * const summary = scoring.finish(); // { scored: 1234, batches: 40, file: '.../predictions/fraud_7d.arrows', ... }
 * @throws Error when the model was not trained on a set of this config
 */
export class LiveScoring {
  readonly rows: LiveFeatureRows;
  readonly scorer: LiveScorer;
  readonly log: PredictionLog;
  readonly setName: string;
  /** Hooks for `startLive`: outputs and inputs feed the rows, the end of the catch-up starts scoring. */
  readonly hooks: Required<Pick<LiveOptions, 'onOutput' | 'onInput' | 'onCaughtUp'>>;
  private readonly latencies: number[] = [];
  private scored = 0;
  private finished: LiveScoringSummary | undefined;

  constructor(
    compiled: CompiledFeatureSet,
    model: tf.LayersModel,
    meta: ModelMeta,
    private readonly opts: LiveScoringOptions = {},
  ) {
    const setName = meta.trainedOn.set;
    if (typeof setName !== 'string' || setName === '') throw new Error('the model does not say which set it was trained on (model-meta.json trainedOn.set)');
    const set = compiled.config.sets.find((s) => s.name === setName);
    if (set === undefined) throw new Error(`the model was trained on set "${setName}", which config ${compiled.config.name} does not declare (sets: ${compiled.config.sets.map((s) => s.name).join(', ') || 'none'})`);
    if (set.label !== meta.label) throw new Error(`the model predicts "${meta.label}" but set "${setName}" is labelled "${set.label}"`);
    this.setName = setName;
    this.rows = new LiveFeatureRows(compiled, setName, {
      carry: (meta.preprocessing.categorical ?? []).map((c) => c.column),
      ...(opts.maxHoldMs !== undefined && { maxHoldMs: opts.maxHoldMs }),
      ...(opts.compactRows !== undefined && { compactRows: opts.compactRows }),
    });
    const missing = meta.preprocessing.features.filter((f) => !this.rows.plan.outputs.includes(f));
    if (missing.length > 0) throw new Error(`set "${setName}" of this config has no feature ${missing.map((f) => `"${f}"`).join(', ')}, which the model was trained on`);
    this.scorer = new LiveScorer(model, meta);
    const file = opts.file ?? join(compiled.config.dataDir, 'live', 'predictions', `${setName}.arrows`);
    this.log = new PredictionLog(file, set.key, this.rows.plan.spine.timeColumn, meta);
    this.hooks = {
      onOutput: (table, b) => this.rows.output(table, b),
      onInput: (source, b) => {
        this.rows.input(source, b);
        const started = performance.now();
        this.score(this.rows.ready(), started);
      },
      onCaughtUp: () => this.rows.start(),
    };
  }

  /** Score what is still waiting (the run has stopped: every table is complete), close the file, and sum up. */
  finish(): LiveScoringSummary {
    if (this.finished !== undefined) return this.finished;
    try {
      this.score(this.rows.flush(), performance.now());
    } finally {
      this.log.close();
      this.scorer.dispose();
    }
    this.finished = this.summary();
    return this.finished;
  }

  summary(): LiveScoringSummary {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return {
      set: this.setName,
      file: this.log.file,
      scored: this.scored,
      batches: this.latencies.length,
      rows: { ...this.rows.counts },
      latencyMs: { p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]! },
    };
  }

  /** Score and write each batch of ready rows; the first one's latency counts from `started` (before assembling). */
  private score(ready: Batch[], started: number): void {
    for (const b of ready) {
      const p = predictionsOf(this.scorer.meta, this.scorer.score(b), b.length);
      this.log.append(b, p);
      this.scored += b.length;
      const ms = performance.now() - started;
      this.latencies.push(ms);
      this.opts.onScored?.(b, p, ms);
      started = performance.now();
    }
  }
}
