import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { startLive } from '../../../src/actors/live/index.js';
import { inferCommand } from '../../../src/cli/commands/infer.js';
import { trainCommand } from '../../../src/cli/commands/train.js';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { toRecordBatch } from '../../../src/pipelines/data/arrow.js';
import { sliceBatch } from '../../../src/pipelines/data/batch.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { registryFor, replay } from '../../../src/sdk/replay.js';
import { splitHistory } from '../../../src/sdk/samples/splitHistory.js';
import type { SampleDomain } from '../../../src/sdk/samples/index.js';
import { LiveScoring, loadModel, useBackend } from '../../../src/sdk/training/index.js';
import { domainConfig } from '../../sdk/training/helpers.js';
import { HandConnector, tempDir, waitFor } from './helpers.js';

/**
 * Live scoring against `tributary infer` on the other two domains, whose sets are built differently
 * from payments: market joins trades, book and 1-minute bars (sources 500 ms late) to each ticker;
 * user_events' rows are weekly windows, emitted when the week closes, joined to the clickstream and
 * spend as of the week's end. The recorded log is cut in time: the events before go into a fresh
 * log, the rest is sent live as Arrow IPC in their arrival order, in time steps.
 */

const tmp = tempDir('tributary-live-domains-');
afterAll(() => tmp.remove());
beforeAll(async () => {
  await useBackend('cpu');
});

/** `prediction` per key columns + time (the set's keys, then its time column). */
function byRow(t: Table, keys: string[], time: string): Map<string, number> {
  const out = new Map<string, number>();
  const cols = [...keys, time].map((k) => t.getChild(k)!);
  const p = t.getChild('prediction')!;
  for (let i = 0; i < t.numRows; i++) {
    const id = cols.map((c) => String(Number.isFinite(Number(c.get(i))) && typeof c.get(i) !== 'string' ? Number(c.get(i)) : c.get(i))).join('|');
    expect(out.has(id), `row ${id} once`).toBe(false);
    out.set(id, Number(p.get(i)));
  }
  return out;
}

async function liveAgainstInfer(domain: SampleDomain, scale: number, share: number): Promise<{ scored: number; compared: number }> {
  const dir = join(tmp.dir, domain);
  const file = await domainConfig(dir, domain, scale);
  const config = loadConfig(file);
  await replay(config);
  const lines: string[] = [];
  expect(await trainCommand(file, { model: 'logistic', epochs: 2, json: true }, (l) => lines.push(l))).toBe(0);
  const { dir: modelDir } = JSON.parse(lines.join('\n')) as { dir: string };

  // The live config: the same features over a fresh data folder, every source live (the test's transports).
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const s of Object.keys(config.sources)) {
    doc.deleteIn(['sources', s, 'path']);
    doc.setIn(['sources', s, 'live'], doc.createNode({ zmq: { endpoint: 'tcp://127.0.0.1:1', format: 'arrow' }, batch_rows: 256, max_delay: '1ms' }));
  }
  doc.set('data_dir', join(dir, 'live-state'));
  const liveFile = join(dir, 'live.yaml');
  writeFileSync(liveFile, doc.toString());
  const liveConfig = loadConfig(liveFile);

  // The recorded log, cut in time: history into the fresh log, the rest to send.
  const { feed, cut, max } = await splitHistory(config, join(dir, 'live-state'), share);

  const registry = await registryFor(liveConfig);
  const { model, meta } = await loadModel(modelDir);
  // A small index bound, so the joined tables are compacted over and over, in the catch-up and live.
  const scoring = new LiveScoring(compileFeatureSet(liveConfig, registry), model, meta, { compactRows: 512 });
  const connectors = Object.fromEntries(Object.keys(config.sources).map((s) => [s, { connector: new HandConnector(), format: 'arrow' as const }]));
  const run = await startLive(liveConfig, { registry, connectors, keepOutputs: false, ...scoring.hooks });
  const steps = 40;
  const cursor: Record<string, number> = Object.fromEntries(Object.keys(feed).map((s) => [s, 0]));
  let sent = 0;
  for (let k = 1; k <= steps; k++) {
    const until = cut + (k * (max + 1 - cut)) / steps;
    for (const [source, b] of Object.entries(feed)) {
      let j = cursor[source]!;
      while (j < b.length && b.time[j]! < until) j++; // arrival order kept: a late row goes with the rows it came after
      if (j === cursor[source]) continue;
      connectors[source]!.connector.send(tableToIPC(new Table([toRecordBatch(sliceBatch(b, cursor[source]!, j), config.sources[source]!.time)]), 'stream'));
      sent += j - cursor[source]!;
      cursor[source] = j;
    }
  }
  const done = () => Object.values(run.counters().sources).reduce((n, s) => n + s.accepted + Object.values(s.deadLetters).reduce((a, x) => a + x, 0), 0);
  await waitFor(() => done() === sent, 'every live event processed', 60_000);
  await run.stop();
  const summary = scoring.finish();
  expect(summary.rows.releasedEarly).toBe(0);

  // The other path: replay the live run's log (history + live events), build the inference set, score it.
  await replay(loadConfig(liveFile));
  const out = join(dir, 'infer.arrow');
  expect(await inferCommand(liveFile, { model: modelDir, out }, () => {})).toBe(0);
  const set = liveConfig.sets[0]!;
  const timeColumn = scoring.rows.plan.spine.timeColumn;
  const live = byRow(tableFromIPC(readFileSync(summary.file)), set.key, timeColumn);
  const inferred = byRow(tableFromIPC(readFileSync(out)), set.key, timeColumn);
  let maxDiff = 0;
  for (const [id, p] of live) {
    const q = inferred.get(id);
    expect(q, `infer has row ${id}`).toBeDefined();
    maxDiff = Math.max(maxDiff, Math.abs(p - q!));
  }
  expect(maxDiff).toBeLessThan(1e-6);
  // Every row of the set after the cut was scored live.
  const after = [...inferred.keys()].filter((id) => Number(id.split('|').at(-1)) >= cut);
  for (const id of after) expect(live.has(id), `row ${id} scored live`).toBe(true);
  return { scored: live.size, compared: after.length };
}

describe('live scores equal infer scores on every domain shape', () => {
  it('market: tickers joined to late trades, book updates and closed bars', async () => {
    const r = await liveAgainstInfer('market', 0.05, 0.1);
    expect(r.scored).toBeGreaterThan(100);
  }, 300_000);

  it('user_events: weekly windows as rows, closing during the live run and at its stop', async () => {
    const r = await liveAgainstInfer('user_events', 0.2, 0.2);
    expect(r.scored).toBeGreaterThan(20);
  }, 300_000);
});
