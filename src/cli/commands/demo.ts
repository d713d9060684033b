import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { startLive } from '../../actors/live/index.js';
import type { MessageConnector, MessageSink } from '../../actors/live/index.js';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { toRecordBatch } from '../../pipelines/data/arrow.js';
import { sliceBatch } from '../../pipelines/data/batch.js';
import { formatTime } from '../../pipelines/data/time.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import type { FeatureSetConfig, LiveSourceConfig } from '../../sdk/config/types.js';
import { registryFor, replay } from '../../sdk/replay.js';
import { splitHistory } from '../../sdk/samples/splitHistory.js';
import { LiveScoring, loadModel } from '../../sdk/training/index.js';
import { formatReplaySummary, table } from '../format.js';
import { DOMAINS, generateCommand } from './generate.js';
import { pickSet, trainCommand } from './train.js';
import { formatScoring } from './live.js';

/** Categorical inputs the demo trains with, per domain: the sets that carry a string column for it. */
const CATEGORICAL: Partial<Record<(typeof DOMAINS)[number], string>> = { payments: 'merchant_bucket' };

/**
 * The share of each domain's time span replayed as live events after training: a few minutes of
 * market data, about three days of payments, and for user events the last week and a bit, so that
 * a weekly window (the set's rows) closes during the run.
 */
const LIVE_SHARE: Record<(typeof DOMAINS)[number], number> = { market: 0.03, payments: 0.03, user_events: 0.13 };
/** Messages the live slice is cut into (each one Arrow IPC stream per source and time step). */
const LIVE_STEPS = 120;

/**
 * `tributary demo` (what `npm start` runs): generate the sample data of every domain, then for each
 * domain's config in `configs/`, replay it, build its feature-label set, and train a TF.js model on
 * it, reporting held-out metrics against a naive baseline. Then serve predictions for live events:
 * the domain's last few percent of events are fed through `tributary live`'s path (in-process
 * transports carrying Arrow IPC), on a log holding the events before them, and every new row of the
 * set is scored by the model as it comes.
 */
export async function demoCommand(flags: { out: string; epochs?: string }, out: (line: string) => void): Promise<number> {
  await generateCommand('all', { out: flags.out }, out);
  for (const domain of DOMAINS) {
    const file = resolve('configs', `${domain}.yaml`);
    out(`\n== ${domain}`);
    const config = loadConfig(file);
    out(formatReplaySummary(await replay(config)));
    out('');
    const categorical = CATEGORICAL[domain];
    // Where train saves by default, so the docs' `tributary infer --model ...` finds it after npm start.
    const modelDir = join(config.dataDir, 'models', `${pickSet(config, undefined)}-logistic`);
    await trainCommand(file, { model: 'logistic', epochs: flags.epochs ?? '5', out: modelDir, ...(categorical && { categorical }) }, out);
    out('');
    out(await liveDemo(config, modelDir, LIVE_SHARE[domain]));
  }
  return 0;
}

/** An in-process transport: the demo hands it whole messages, as a socket would deliver them. */
class FeedConnector implements MessageConnector {
  readonly description = 'in-process feed (Arrow IPC)';
  private sink: MessageSink | undefined;
  async start(sink: MessageSink): Promise<void> {
    this.sink = sink;
  }
  async stop(): Promise<void> {}
  async send(payload: Uint8Array): Promise<void> {
    const sink = this.sink!;
    if (sink.paused) await sink.ready();
    sink.message(payload);
  }
}

/**
 * Replay the last `share` of the domain's time span as live events, with the model scoring every
 * new set row: a fresh data folder (`<data_dir>/live-demo`) whose log holds the events before the cut,
 * a live run that catches up on it, then the slice fed in time steps. Returns the report.
 */
async function liveDemo(config: FeatureSetConfig, modelDir: string, share: number): Promise<string> {
  const started = performance.now();
  const liveDir = join(config.dataDir, 'live-demo');
  rmSync(liveDir, { recursive: true, force: true });
  const live: LiveSourceConfig = { connector: { kind: 'tail' }, batchRows: 1024, maxDelay: 1, idleTimeout: 60_000, maxMessageBytes: 64 << 20, highWaterMark: 1 << 20 };
  const sources = Object.fromEntries(Object.entries(config.sources).map(([name, { path: _path, ...s }]) => [name, { ...s, live }]));
  const liveConfig: FeatureSetConfig = { ...config, dataDir: liveDir, sources };

  // Split the recorded log at the cut: the history goes into the new log, the rest becomes the feed.
  const { feed, cut, max } = await splitHistory(config, liveDir, share);

  const { model, meta } = await loadModel(modelDir);
  const registry = await registryFor(liveConfig);
  const scoring = new LiveScoring(compileFeatureSet(liveConfig, registry), model, meta);
  const connectors = Object.fromEntries(Object.keys(config.sources).map((s) => [s, { connector: new FeedConnector(), format: 'arrow' as const }]));
  const run = await startLive(liveConfig, { registry, connectors, keepOutputs: false, ...scoring.hooks });
  const caughtUp = Object.values(run.counters().caughtUp).reduce((a, b) => a + b, 0);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  // An event is done once processed, or turned away before the log; a whole message turned away would never be.
  const done = () => Object.values(run.counters().sources).reduce((n, s) => n + s.accepted + sum(s.deadLetters), 0);
  const rejected = () => Object.values(run.counters().sources).reduce((n, s) => n + sum(s.rejectedMessages), 0);
  let failure: unknown;
  void run.failed.then((err) => (failure = err));

  // Feed the slice in time steps; each step's events go in, then wait until they are processed and scored.
  const step = (max + 1 - cut) / LIVE_STEPS;
  const cursor: Record<string, number> = Object.fromEntries(Object.keys(feed).map((s) => [s, 0]));
  const stepMs: number[] = [];
  let sent = 0;
  const feedStarted = performance.now();
  try {
    for (let k = 1; k <= LIVE_STEPS; k++) {
      const until = cut + k * step;
      const t0 = performance.now();
      for (const [source, b] of Object.entries(feed)) {
        let j = cursor[source]!;
        while (j < b.length && b.time[j]! < until) j++;
        if (j === cursor[source]) continue;
        const part = sliceBatch(b, cursor[source]!, j);
        cursor[source] = j;
        sent += part.length;
        const spec = config.sources[source]!;
        await connectors[source]!.connector.send(tableToIPC(new Table([toRecordBatch(part, spec.time)]), 'stream'));
      }
      while (done() < sent) {
        if (failure !== undefined) throw failure;
        if (rejected() > 0) throw new Error('the live run turned a demo message away (see the dead letters)');
        await new Promise((r) => setImmediate(r));
      }
      stepMs.push(performance.now() - t0);
    }
  } catch (err) {
    await run.stop().catch(() => undefined);
    scoring.finish();
    throw err;
  }
  await run.stop();
  const feedMs = performance.now() - feedStarted;
  const summary = scoring.finish();

  const predictions = tableFromIPC(readFileSync(summary.file));
  const lines = [
    `live ${config.name}: the events from ${formatTime(cut)} on (the last ${Math.round(share * 100)}% of the time span) fed as live events, after ${caughtUp} events from the log`,
    `  ${sent} live events in ${LIVE_STEPS} steps, ${(feedMs / 1000).toFixed(2)} s (${Math.round((sent / feedMs) * 1000)} events/s); a step's events in -> processed and scored: p50 ${quantile(stepMs, 0.5).toFixed(1)} ms, p99 ${quantile(stepMs, 0.99).toFixed(1)} ms`,
    formatScoring(summary),
    '  (a row is scored once every source it joins has passed its time, so it scores as `tributary infer` would; rows wait for sparse sources: `--max-hold` bounds that)',
    '',
    samplePredictions(predictions, meta.task === 'multiclass' ? 'score' : 'prediction'),
    `(${((performance.now() - started) / 1000).toFixed(1)} s with the catch-up)`,
  ];
  return lines.join('\n');
}

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The five rows with the highest `by`, every column of the predictions file. */
function samplePredictions(t: Table, by: string): string {
  if (t.numRows === 0) return 'no live row was scored';
  const v = t.getChild(by)!;
  const order = Array.from({ length: t.numRows }, (_, i) => i).sort((a, b) => Number(v.get(b)) - Number(v.get(a)));
  const names = t.schema.fields.map((f) => f.name);
  const cell = (name: string, i: number): string | number => {
    const x = t.getChild(name)!.get(i) as unknown;
    if (t.schema.fields.find((f) => f.name === name)!.typeId === 10) return formatTime(Number(x));
    return typeof x === 'number' ? Number(x.toPrecision(4)) : String(x);
  };
  return `highest ${by} among the live predictions:\n` + table(order.slice(0, 5).map((i) => names.map((n) => cell(n, i))), names);
}
