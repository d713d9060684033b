import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { loadModel, readSet, scoreSet, useBackend } from '../../sdk/training/index.js';
import { buildSets } from '../../store/labels/buildSets.js';
import { writeArrowTable } from '../../store/output/writeTable.js';
import { progressBar } from '../progress.js';
import { parseBackend, pickSet } from './train.js';

export interface InferFlags {
  model: string;
  set?: string;
  out?: string;
  backend?: string;
  json?: boolean;
}

/**
 * `tributary infer <config> --model <dir> [--set name] [--out file]`: build the set as an inference
 * set (rows past the end of the data kept, with a null label), score every row with the saved model
 * and write the predictions as Arrow IPC (default `<data_dir>/predictions/<set>.arrow`): the keys,
 * the time, the label (null when not known yet) and `prediction` (`p_<class>` too, multiclass).
 *
 * Wire it in main.ts as:
 *   program.command('infer').argument('<config>', 'feature-set YAML')
 *     .description('score an inference set with a model saved by train, and write the predictions as Arrow')
 *     .requiredOption('--model <dir>', 'the model folder train wrote')
 *     .option('--set <name>', 'the set (default: the config\'s only set)')
 *     .option('--out <file>', 'predictions file (default <data_dir>/predictions/<set>.arrow)')
 *     .option('--backend <name>', 'cpu or wasm', 'cpu')
 *     .option('--json', 'print the summary as JSON')
 *     .action((file: string, flags) => run(() => inferCommand(file, flags, out))());
 *
 * @example
 * await inferCommand('configs/payments.yaml', { model: '.tributary/payments/models/fraud_7d-logistic' }, console.log);
 */
export async function inferCommand(file: string, flags: InferFlags, out: (line: string) => void): Promise<number> {
  if (!flags.model) throw new Error('--model <dir>: name the model folder train wrote');
  const config = loadConfig(file);
  const setName = pickSet(config, flags.set);
  await useBackend(parseBackend(flags.backend));
  const { model, meta } = await loadModel(flags.model);
  const bar = progressBar('events');
  let built;
  try {
    built = await buildSets(config, {
      sets: [setName],
      format: 'arrow',
      inference: true,
      out: join(config.dataDir, 'sets', 'inference'),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
  } finally {
    bar.stop();
  }
  const set = readSet(tableFromIPC(readFileSync(built.sets[0]!.file)));
  const predictions = scoreSet(model, meta, set);
  const target = flags.out ?? join(config.dataDir, 'predictions', `${setName}.arrow`);
  await writeArrowTable(target, predictions);
  let unlabelled = 0;
  for (const v of set.label) if (Number.isNaN(v)) unlabelled++;
  const summary = { set: setName, model: flags.model, rows: set.rows, unlabelled, file: target, columns: predictions.schema.fields.map((f) => f.name) };
  if (flags.json) out(JSON.stringify(summary, null, 2));
  else out(`${setName}: scored ${set.rows} rows (${unlabelled} past the end of the data, label not known yet) with ${meta.kind} (${meta.task})\npredictions -> ${target}`);
  return 0;
}
