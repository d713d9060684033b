import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { formatTime } from '../../pipelines/data/time.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import { readSet, saveModel, trainSet, useBackend, type CategoricalSpec, type Metrics, type ModelKind, type TrainResult, type TrainingBackend } from '../../sdk/training/index.js';
import { buildSets } from '../../store/labels/buildSets.js';
import { formatReplaySummary, table } from '../format.js';
import { progressBar } from '../progress.js';

export interface TrainFlags {
  set?: string;
  model?: string;
  epochs?: string | number;
  out?: string;
  batchSize?: string | number;
  learningRate?: string | number;
  /** Share of the latest labelled rows held out (default 0.2). */
  validation?: string | number;
  /** commander's `--no-missing-indicators` sets this false. */
  missingIndicators?: boolean;
  backend?: string;
  /** String columns of the set to use as categorical inputs: `col[:onehot|:embedding]`, comma-separated. */
  categorical?: string | string[];
  /** Keep at most this many values of each categorical (the most frequent in training); the rest go to the OOV slot. */
  maxCategories?: string | number;
  json?: boolean;
}

/** The set to use: `--set`, or the config's only set. */
export function pickSet(config: FeatureSetConfig, name: string | undefined): string {
  if (name !== undefined) {
    if (!config.sets.some((s) => s.name === name)) throw new Error(`${config.file}: no set named "${name}" (sets: ${config.sets.map((s) => s.name).join(', ') || 'none'})`);
    return name;
  }
  if (config.sets.length !== 1) throw new Error(`${config.file}: name the set with --set (sets: ${config.sets.map((s) => s.name).join(', ') || 'none'})`);
  return config.sets[0]!.name;
}

function num(flag: string, v: string | number | undefined, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new Error(`${flag} "${v}": give a positive ${integer ? 'integer' : 'number'}`);
  return x;
}

/**
 * `--categorical merchant_bucket,country:embedding`: each column with an optional encoding (onehot,
 * embedding; default auto: one-hot up to 16 values, an embedding above).
 */
export function parseCategorical(v: string | string[] | undefined, maxCategories: number | undefined): CategoricalSpec[] {
  if (v === undefined) return [];
  const items = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  return items.map((item) => {
    const at = item.lastIndexOf(':');
    const column = at < 0 ? item : item.slice(0, at);
    const encoding = at < 0 ? 'auto' : item.slice(at + 1);
    if (encoding !== 'auto' && encoding !== 'onehot' && encoding !== 'embedding') throw new Error(`--categorical "${item}": the encoding after ":" is onehot, embedding or auto`);
    if (column === '') throw new Error(`--categorical "${item}": name a column`);
    return { column, encoding, ...(maxCategories !== undefined && { maxCategories }) };
  });
}

export function parseBackend(v: string | undefined): TrainingBackend {
  if (v === undefined || v === 'cpu' || v === 'wasm') return v ?? 'cpu';
  throw new Error(`--backend "${v}": write cpu or wasm`);
}

/**
 * `tributary train <config> [--set name] [--model logistic|mlp] [--epochs n] [--out dir]`: build the
 * set (replaying first when the feature tables are missing or stale), train on the earlier rows,
 * evaluate on the latest ones against a naive baseline, and save the model with its feature list
 * and preprocessing to `--out` (default `<data_dir>/models/<set>-<model>`).
 *
 * Wire it in main.ts as:
 *   program.command('train').argument('<config>', 'feature-set YAML')
 *     .description('train a TF.js model on a feature-label set and report held-out metrics against a naive baseline')
 *     .option('--set <name>', 'the set (default: the config\'s only set)')
 *     .option('--model <kind>', 'logistic or mlp', 'logistic')
 *     .option('--epochs <n>', 'passes over the training rows', '10')
 *     .option('--out <dir>', 'model folder (default <data_dir>/models/<set>-<model>)')
 *     .option('--batch-size <n>', 'rows per batch', '256')
 *     .option('--learning-rate <x>', 'Adam learning rate', '0.01')
 *     .option('--validation <fraction>', 'share of the latest labelled rows held out', '0.2')
 *     .option('--no-missing-indicators', 'no 0/1 "was null" inputs')
 *     .option('--backend <name>', 'cpu (zero-copy) or wasm', 'cpu')
 *     .option('--categorical <columns>', 'string columns of the set as categorical inputs: col[:onehot|:embedding],...')
 *     .option('--max-categories <n>', 'values kept per categorical, the most frequent in training (default 100)')
 *     .option('--json', 'print the result as JSON')
 *     .action((file: string, flags) => run(() => trainCommand(file, flags, out))());
 *
 * @example
 * await trainCommand('configs/payments.yaml', { model: 'mlp', epochs: 5, categorical: 'merchant_bucket' }, console.log);
 * @returns 0
 */
export async function trainCommand(file: string, flags: TrainFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const setName = pickSet(config, flags.set);
  const model = (flags.model ?? 'logistic') as ModelKind;
  if (model !== 'logistic' && model !== 'mlp') throw new Error(`--model "${flags.model}": write logistic or mlp`);
  const epochs = num('--epochs', flags.epochs, 10, true);
  const backend = parseBackend(flags.backend);
  await useBackend(backend);

  const bar = progressBar('events');
  const notes: string[] = [];
  let built;
  try {
    built = await buildSets(config, {
      sets: [setName],
      format: 'arrow',
      onReplay: (reason) => notes.push(`replaying first: ${reason}`),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
  } finally {
    bar.stop();
  }
  const setFile = built.sets[0]!.file;
  const set = readSet(tableFromIPC(readFileSync(setFile)));
  const result = await trainSet(set, {
    model,
    epochs,
    batchSize: num('--batch-size', flags.batchSize, 256, true),
    learningRate: num('--learning-rate', flags.learningRate, 0.01),
    validationFraction: num('--validation', flags.validation, 0.2),
    missingIndicators: flags.missingIndicators !== false,
    categorical: parseCategorical(flags.categorical, flags.maxCategories === undefined ? undefined : num('--max-categories', flags.maxCategories, 100, true)),
  });
  const dir = flags.out ?? join(config.dataDir, 'models', `${setName}-${model}`);
  result.meta.trainedOn.set_file = setFile;
  await saveModel(dir, result.model, result.meta);

  if (flags.json) {
    const { model: _m, meta: _meta, ...rest } = result;
    const categorical = (result.meta.preprocessing.categorical ?? []).map((c) => ({ column: c.column, encoding: c.encoding, vocabulary: c.vocabulary.length, ...(c.dimension && { dimension: c.dimension }) }));
    out(JSON.stringify({ set: setName, model, backend, dir, features: result.meta.preprocessing.features, categorical, ...rest }, null, 2));
    return 0;
  }
  for (const n of notes) out(n);
  if (built.replay) out(`${formatReplaySummary(built.replay)}\n`);
  out(formatTraining(setName, model, set.columns.length, result));
  out(`\nmodel -> ${dir}`);
  return 0;
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(4);
}

/** The split, the loss curve, and held-out metrics next to the baseline's. */
export function formatTraining(setName: string, model: string, features: number, r: TrainResult): string {
  const lines: string[] = [];
  lines.push(`${setName}: ${model} (${r.task}) on ${features} features, ${r.meta.preprocessing.missingIndicators.length} missing indicators`);
  for (const c of r.meta.preprocessing.categorical ?? []) {
    const how = c.encoding === 'onehot' ? 'one-hot' : `embedding of size ${c.dimension}`;
    lines.push(`  categorical ${c.column}: ${how} over ${c.vocabulary.length} values from the training rows, plus an out-of-vocabulary slot (${c.counts[0]} training rows in it)`);
  }
  lines.push(
    `  train ${r.split.train} rows before ${formatTime(r.split.cutoffMs)}, validation ${r.split.validation} rows from it` +
      (r.split.embargoed > 0 ? `, ${r.split.embargoed} rows left out (their label window reaches the validation period)` : ''),
  );
  lines.push('');
  lines.push(table(r.history.map((h) => [h.epoch, h.loss.toFixed(4), h.valLoss.toFixed(4)]), ['epoch', 'loss', 'validation loss']));
  lines.push('');
  const keys = (Object.keys(r.metrics) as (keyof Metrics)[]).filter((k) => r.metrics[k] !== undefined);
  const names: Record<keyof Metrics, string> = { auc: r.task === 'multiclass' ? 'AUC (macro, one vs rest)' : 'AUC', accuracy: 'accuracy', logLoss: 'log-loss', rmse: 'RMSE' };
  lines.push(table(keys.map((k) => [names[k], fmt(r.metrics[k]), fmt(r.baseline[k])]), ['held-out', 'model', r.task === 'regression' ? 'baseline (training mean)' : 'baseline (training class rates)']));
  lines.push('');
  lines.push(r.beatsBaseline ? 'the model beats the baseline on held-out data' : 'the model does NOT beat the baseline on held-out data');
  lines.push(`${Math.round(r.rowsPerSecond)} training rows/s, ${(r.elapsedMs / 1000).toFixed(2)} s`);
  return lines.join('\n');
}
