import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { inferCommand } from '../../../src/cli/commands/infer.js';
import { trainCommand } from '../../../src/cli/commands/train.js';
import type { Metrics } from '../../../src/sdk/training/index.js';
import { tempDir } from '../../helpers/tables.js';
import { domainConfig } from './helpers.js';

/**
 * Each domain's config, end to end through `tributary train` and `tributary infer` on small generated
 * samples: the model must beat the naive baseline on the held-out (latest) rows, which it can only
 * do by learning the signal the sample generator planted, through features joined at the right time.
 */

const tmp = tempDir('tributary-train-');
afterAll(() => tmp.remove());

interface TrainJson {
  task: string;
  dir: string;
  features: string[];
  categorical: { column: string; encoding: string; vocabulary: number }[];
  metrics: Metrics;
  baseline: Metrics;
  beatsBaseline: boolean;
  history: { loss: number; valLoss: number }[];
  split: { train: number; validation: number; embargoed: number };
}

async function train(file: string, flags: Parameters<typeof trainCommand>[1]): Promise<TrainJson> {
  const out: string[] = [];
  expect(await trainCommand(file, { ...flags, json: true }, (l) => out.push(l))).toBe(0);
  return JSON.parse(out.join('\n')) as TrainJson;
}

describe('each domain trains a model that beats its naive baseline on held-out data', () => {
  it('payments: fraud within 7 days (binary: AUC, accuracy, log-loss), then scores the inference set', async () => {
    const file = await domainConfig(tmp.dir, 'payments', 0.25);
    const r = await train(file, { model: 'logistic', epochs: 5, categorical: 'merchant_bucket' });
    expect(r.task).toBe('binary');
    expect(r.features).not.toContain('fraud_7d');
    // The set carries merchant_bucket beside the matrix (a key column); one-hot over the training buckets.
    expect(r.categorical).toEqual([{ column: 'merchant_bucket', encoding: 'onehot', vocabulary: 9 }]);
    expect(r.split.validation).toBeGreaterThan(1000);
    expect(r.beatsBaseline).toBe(true);
    expect(r.metrics.logLoss!).toBeLessThan(r.baseline.logLoss!);
    expect(r.metrics.auc!).toBeGreaterThan(0.8);
    expect(r.metrics.accuracy!).toBeGreaterThanOrEqual(r.baseline.accuracy!);
    expect(r.history).toHaveLength(5);
    for (const f of ['model.json', 'weights.bin', 'model-meta.json']) expect(existsSync(join(r.dir, f))).toBe(true);

    const out: string[] = [];
    expect(await inferCommand(file, { model: r.dir }, (l) => out.push(l))).toBe(0);
    const file2 = join(tmp.dir, 'state', 'payments', 'predictions', 'fraud_7d.arrow');
    const p = tableFromIPC(readFileSync(file2));
    expect(p.schema.fields.map((f) => f.name)).toEqual(['txn_id', 'card_id', 'merchant_bucket', 'ts', 'fraud_7d', 'prediction']);
    const label = p.getChild('fraud_7d')!;
    let unlabelled = 0;
    for (let i = 0; i < p.numRows; i++) {
      if (label.get(i) === null) unlabelled++;
      const q = p.getChild('prediction')!.get(i) as number;
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThanOrEqual(1);
    }
    expect(unlabelled).toBeGreaterThan(0); // the rows past the end of the data, scored
    expect(out.join('\n')).toMatch(/past the end of the data/);
  }, 120_000);

  it('market: the sign of the mid move over 5 s (3 classes: accuracy, macro AUC, log-loss)', async () => {
    const file = await domainConfig(tmp.dir, 'market', 0.15);
    const r = await train(file, { model: 'logistic', epochs: 5 });
    expect(r.task).toBe('multiclass');
    expect(r.features).not.toContain('mid_move_5s');
    expect(r.beatsBaseline).toBe(true);
    expect(r.metrics.logLoss!).toBeLessThan(r.baseline.logLoss!);
    expect(r.metrics.accuracy!).toBeGreaterThan(r.baseline.accuracy!);
    expect(r.metrics.auc!).toBeGreaterThan(0.55);
  }, 120_000);

  it('user_events: no purchase next week (binary), a weekly spine split on week boundaries', async () => {
    const file = await domainConfig(tmp.dir, 'user_events', 0.5);
    const r = await train(file, { model: 'logistic', epochs: 10 });
    expect(r.task).toBe('binary');
    expect(r.features).not.toContain('churn_next_week');
    expect(r.split.embargoed).toBeGreaterThan(0); // the week before the cut looks into it
    expect(r.beatsBaseline).toBe(true);
    expect(r.metrics.logLoss!).toBeLessThan(r.baseline.logLoss!);
    expect(r.metrics.auc!).toBeGreaterThan(0.6);
  }, 120_000);
});
