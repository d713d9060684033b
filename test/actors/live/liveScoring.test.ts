import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLive } from '../../../src/actors/live/index.js';
import { inferCommand } from '../../../src/cli/commands/infer.js';
import { trainCommand } from '../../../src/cli/commands/train.js';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { registryFor, replay } from '../../../src/sdk/replay.js';
import { LiveScoring, loadModel, useBackend } from '../../../src/sdk/training/index.js';
import { HandConnector, tempDir, waitFor } from './helpers.js';
import { paymentsLiveFixture, UNSEEN_TXN, type Fixture } from './helpers/scoringFixture.js';

/**
 * Live scoring against `tributary infer`, two independent paths to the same predictions: the live
 * path assembles each new set row from the live run's outputs (an online as-of join) and scores it
 * a micro-batch at a time; infer replays the recorded log, builds the inference set with the
 * labelers' batch as-of join, and scores that. On the same rows they must give the same numbers.
 *
 * Payments samples are cut in time: the history is imported from files and trains the model (with
 * merchant_bucket as a categorical input); the rest arrives live over three hand-driven transports,
 * plus one approved transaction at a merchant bucket never seen in training (the OOV slot).
 */

const tmp = tempDir('tributary-live-scoring-');
afterAll(() => tmp.remove());

/** Rows of an Arrow table by a key column: the values of `columns` per key (keys must be unique). */
function byKey(table: Table, key: string, columns: string[]): Map<string, number[]> {
  const k = table.getChild(key)!;
  const cols = columns.map((c) => table.getChild(c)!);
  const out = new Map<string, number[]>();
  for (let i = 0; i < table.numRows; i++) {
    const id = String(k.get(i));
    expect(out.has(id), `${key} ${id} appears once`).toBe(false);
    out.set(id, cols.map((c) => Number(c.get(i))));
  }
  return out;
}

describe('live scoring with a trained model', () => {
  let fx: Fixture;
  let modelDir: string;

  beforeAll(async () => {
    await useBackend('cpu');
    fx = await paymentsLiveFixture(tmp.dir, { transactions: 'hand', logins: 'hand', fraud_reports: 'hand' });
    const lines: string[] = [];
    expect(await trainCommand(fx.file, { model: 'logistic', epochs: 3, categorical: 'merchant_bucket', json: true }, (l) => lines.push(l))).toBe(0);
    const trained = JSON.parse(lines.join('\n')) as { dir: string; categorical: { column: string; encoding: string; vocabulary: number }[] };
    expect(trained.categorical).toEqual([{ column: 'merchant_bucket', encoding: 'onehot', vocabulary: expect.any(Number) }]);
    expect(trained.categorical[0]!.vocabulary).toBeGreaterThan(4); // the sample's buckets (9 at most)
    expect(trained.categorical[0]!.vocabulary).toBeLessThanOrEqual(9);
    modelDir = trained.dir;
  }, 180_000);

  it('scores every new row of the set exactly once, with the scores tributary infer gives the same rows', async () => {
    const config = loadConfig(fx.file);
    const registry = await registryFor(config);
    const { model, meta } = await loadModel(modelDir);
    expect(meta.preprocessing.categorical![0]!.vocabulary).not.toContain('space_tourism');
    const scoring = new LiveScoring(compileFeatureSet(config, registry), model, meta);
    const connectors = Object.fromEntries(Object.keys(fx.live).map((s) => [s, { connector: new HandConnector(), format: 'jsonl' as const }]));
    const run = await startLive(config, { registry, connectors, keepOutputs: false, ...scoring.hooks });
    const historyRows = run.counters().caughtUp.transactions!;

    // Every live event in time order across the sources, a message per run of one source's rows.
    const merged = Object.entries(fx.live).flatMap(([source, rows]) => rows.map((r) => ({ source, r, t: Date.parse(r.ts as string) })));
    merged.sort((a, b) => a.t - b.t);
    for (let i = 0; i < merged.length; ) {
      let j = i;
      while (j < merged.length && merged[j]!.source === merged[i]!.source && j - i < 50) j++;
      connectors[merged[i]!.source]!.connector.send(merged.slice(i, j).map((m) => JSON.stringify(m.r)).join('\n'));
      i = j;
    }
    await waitFor(() => Object.values(run.counters().sources).reduce((n, s) => n + s.accepted, 0) === merged.length, 'every live event processed', 30_000);
    const scoredWhileRunning = scoring.summary().scored;
    await run.stop();
    const summary = scoring.finish();
    expect(scoredWhileRunning).toBeGreaterThan(0); // rows are scored as they come, not only at the end

    // Exactly once: every new approved transaction, no row twice (byKey checks), one predict per micro-batch.
    const live = tableFromIPC(readFileSync(summary.file));
    expect(live.schema.fields.map((f) => f.name)).toEqual(['txn_id', 'card_id', 'merchant_bucket', 'ts', 'prediction', 'score']);
    const livePred = byKey(live, 'txn_id', ['prediction', 'score']);
    const approved = fx.live.transactions!.filter((r) => r.status === 'approved').map((r) => r.txn_id as string);
    for (const id of approved) expect(livePred.has(id), `live transaction ${id} scored`).toBe(true);
    // A row of the history may be scored too: the pipeline holds the log's newest millisecond until a later event.
    const extra = [...livePred.keys()].filter((id) => !approved.includes(id));
    expect(extra.length).toBeLessThanOrEqual(1);
    expect(summary.scored).toBe(livePred.size);
    expect(summary.batches).toBeLessThan(summary.scored / 3);
    expect(summary.rows.releasedEarly).toBe(0);
    expect(historyRows).toBeGreaterThan(1000);

    // The independent path: replay the recorded log (history + live), build the inference set, score it.
    await replay(loadConfig(fx.file));
    const out: string[] = [];
    expect(await inferCommand(fx.file, { model: modelDir, out: join(tmp.dir, 'infer.arrow') }, (l) => out.push(l))).toBe(0);
    const inferred = byKey(tableFromIPC(readFileSync(join(tmp.dir, 'infer.arrow'))), 'txn_id', ['prediction']);
    let maxDiff = 0;
    for (const [id, [p, score]] of livePred) {
      const q = inferred.get(id);
      expect(q, `infer scored ${id}`).toBeDefined();
      maxDiff = Math.max(maxDiff, Math.abs(p! - q![0]!));
      expect(score).toBe(Math.fround(p!));
    }
    expect(maxDiff).toBeLessThan(1e-6);
    // The unseen bucket went through the OOV slot on both paths, and scored.
    expect(livePred.get(UNSEEN_TXN)![0]).toBeCloseTo(inferred.get(UNSEEN_TXN)![0]!, 6);
    expect(live.getChild('merchant_bucket')!.toArray()).toContain('space_tourism');
  }, 240_000);
});
