import { startLive, type LiveCounters, type LiveSummary } from '../../actors/live/index.js';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { parseDuration } from '../../pipelines/data/duration.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { registryFor } from '../../sdk/replay.js';
import type { LiveScoring, LiveScoringSummary } from '../../sdk/training/index.js';
import { formatOutputs, table } from '../format.js';
import { formatCount } from '../progress.js';

export interface LiveFlags {
  /** Folder for the tables written on stop (default `<data_dir>/live`). */
  out?: string;
  /** Stop after this long (e.g. `30s`); default: run until SIGINT or SIGTERM. */
  duration?: string;
  json?: boolean;
  /** fdatasync every log append. */
  fsync?: boolean;
  /** A model folder `tributary train` wrote: score every new row of its set online. */
  model?: string;
  /** With --model: the predictions file (default `<data_dir>/live/predictions/<set>.arrows`). */
  predictions?: string;
  /** With --model: the longest (event time) a row waits for the tables it joins, e.g. `0s` or `1m` (default: until their watermarks pass it). */
  maxHold?: string;
  /** With --model: the TF.js backend, cpu (default) or wasm. */
  backend?: string;
}

/** How often the status line is redrawn, ms. */
const STATUS_EVERY_MS = 1000;

/**
 * `tributary live <config>`: compute the features over live events until SIGINT/SIGTERM (or
 * `--duration`), then stop cleanly and print what was counted. One line on stderr says where each
 * source listens; a status line (events/s, queue depth) is redrawn there only when it is a terminal.
 *
 * With `--model <dir>` (a folder `tributary train` wrote) every new row of the model's set is scored
 * online, a micro-batch per `predict`, and appended to `--predictions` (an Arrow IPC stream; default
 * `<data_dir>/live/predictions/<set>.arrows`) with its keys, time, `prediction` and `score`.
 *
 * Wire the new options in main.ts (live command) as:
 *     .option('--model <dir>', 'score each new row of the model\'s set with this model (a folder train wrote)')
 *     .option('--predictions <file>', 'with --model: predictions file (default <data_dir>/live/predictions/<set>.arrows)')
 *     .option('--max-hold <time>', 'with --model: how long (event time) a row may wait for the tables it joins (default: until their watermarks pass it)')
 *     .option('--backend <name>', 'with --model: cpu or wasm', 'cpu')
 *
 * @example
 * await liveCommand('configs/market.yaml', { duration: '30s', json: true }, console.log);
 * await liveCommand('configs/payments.yaml', { duration: '1m', model: '.tributary/payments/models/fraud_7d-logistic' }, console.log);
 */
export async function liveCommand(file: string, flags: LiveFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  let durationMs: number | undefined;
  if (flags.duration !== undefined) {
    try {
      durationMs = parseDuration(flags.duration);
    } catch (err) {
      throw new Error(`--duration ${(err as Error).message}`);
    }
  }
  if (flags.model === undefined && (flags.predictions !== undefined || flags.maxHold !== undefined)) throw new Error('--predictions and --max-hold go with --model <dir>');
  const stderr = process.stderr;
  let scoring: LiveScoring | undefined;
  const registry = await registryFor(config);
  if (flags.model !== undefined) {
    // TF.js loads only when scoring: a plain live run starts without it.
    const { loadModel, LiveScoring, useBackend } = await import('../../sdk/training/index.js');
    const { parseBackend } = await import('./train.js');
    await useBackend(parseBackend(flags.backend));
    const { model, meta } = await loadModel(flags.model);
    let maxHoldMs: number | undefined;
    if (flags.maxHold !== undefined) {
      try {
        maxHoldMs = parseDuration(flags.maxHold);
      } catch (err) {
        throw new Error(`--max-hold ${(err as Error).message}`);
      }
    }
    scoring = new LiveScoring(compileFeatureSet(config, registry), model, meta, {
      ...(flags.predictions !== undefined && { file: flags.predictions }),
      ...(maxHoldMs !== undefined && { maxHoldMs }),
    });
  }
  let run;
  try {
    run = await startLive(config, { registry, ...(flags.out !== undefined && { out: flags.out }), ...(flags.fsync && { fsync: true }), ...scoring?.hooks });
  } catch (err) {
    scoring?.finish();
    throw err;
  }
  if (scoring !== undefined) stderr.write(`live ${config.name}: scoring each new row of set ${scoring.setName} -> ${scoring.log.file}\n`);
  for (const [source, transport] of Object.entries(run.sources)) stderr.write(`live ${config.name}: ${source} <- ${transport}\n`);
  stderr.write(`live ${config.name}: running${durationMs !== undefined ? ` for ${flags.duration}` : ''}; stop with Ctrl-C or SIGTERM\n`);

  let status: NodeJS.Timeout | undefined;
  if (stderr.isTTY) {
    let last = { at: performance.now(), accepted: 0 };
    status = setInterval(() => {
      const c = run.counters();
      const now = performance.now();
      const accepted = totalAccepted(c);
      const rate = ((accepted - last.accepted) / Math.max(1, now - last.at)) * 1000;
      last = { at: now, accepted };
      stderr.write(`\r\x1b[2K${statusLine(c, rate)}`);
    }, STATUS_EVERY_MS);
  }

  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let onSignal: (s: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    let count = 0;
    onSignal = (s) => {
      count++;
      // A second signal means "now": the log's journal keeps what was appended, so nothing logged is lost.
      if (count > 1) {
        stderr.write(`\nlive: ${s} again, exiting without a clean stop\n`);
        process.exit(130);
      }
      resolve(s);
    };
    for (const s of signals) process.on(s, onSignal);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeUp = durationMs === undefined ? new Promise<string>(() => {}) : new Promise<string>((resolve) => (timer = setTimeout(() => resolve('duration'), durationMs)));
  const why = await Promise.race([stopRequested, timeUp, run.failed.then(() => 'failure')]);
  clearTimeout(timer);
  if (status !== undefined) {
    clearInterval(status);
    stderr.write('\r\x1b[2K');
  }
  if (why !== 'failure') stderr.write(`live ${config.name}: stopping (${why})\n`);
  let summary: LiveSummary;
  let scored: LiveScoringSummary | undefined;
  try {
    summary = await run.stop();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    // Rows still waiting are scored now that every table is complete; the file gets its end marker.
    scored = scoring?.finish();
  }
  if (flags.json) out(JSON.stringify(scored === undefined ? summary : { ...summary, scoring: scored }, null, 2));
  else out(formatLiveSummary(summary) + (scored === undefined ? '' : `\n\n${formatScoring(scored)}`));
  return 0;
}

/** `scored 1234 rows of fraud_7d in 40 micro-batches (p50 0.8 ms, p99 2.1 ms each) -> file` */
export function formatScoring(s: LiveScoringSummary): string {
  const ms = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(2)} ms`);
  const lines = [
    `scored ${s.scored} new rows of set ${s.set} in ${s.batches} micro-batches (one predict each; assemble + predict + write: p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)})`,
    `  ${s.rows.spine} new spine rows, ${s.rows.filtered} left out by the set's where` + (s.rows.releasedEarly > 0 ? `, ${s.rows.releasedEarly} scored before every joined table had passed them (--max-hold)` : ''),
    `  predictions -> ${s.file}`,
  ];
  return lines.join('\n');
}

function totalAccepted(c: LiveCounters): number {
  return Object.values(c.sources).reduce((n, s) => n + s.accepted, 0);
}

/** `live: 51.2k events/s | queue 120 (max 1.0k) | rejected 3 | dead letters 2 | paused 0×` */
export function statusLine(c: LiveCounters, eventsPerSecond: number): string {
  const sources = Object.values(c.sources);
  const queue = sources.reduce((n, s) => n + s.queueDepth, 0);
  const max = sources.reduce((n, s) => Math.max(n, s.queueDepthMax), 0);
  const sum = (f: (s: (typeof sources)[number]) => Record<string, number>) => sources.reduce((n, s) => n + Object.values(f(s)).reduce((a, b) => a + b, 0), 0);
  const pauses = sources.reduce((n, s) => n + s.backpressure.pauses, 0);
  return `live: ${formatCount(eventsPerSecond)} events/s | ${formatCount(totalAccepted(c))} events | queue ${queue} (max ${max}) | rejected ${sum((s) => s.rejectedMessages)} messages, ${sum((s) => s.deadLetters)} events | late ${sum((s) => s.pipelineRejected)} | paused ${pauses}×`;
}

export function formatLiveSummary(s: LiveSummary): string {
  const lines: string[] = [];
  const c = s.counters;
  const accepted = totalAccepted(c);
  lines.push(`feature set ${s.name}: live for ${(c.elapsedMs / 1000).toFixed(1)} s, ${accepted} events taken (${formatCount((accepted / Math.max(1, c.elapsedMs)) * 1000)} events/s)`);
  for (const [source, rows] of Object.entries(c.caughtUp)) if (rows > 0) lines.push(`  ${source}: ${rows} events from the log processed first`);
  lines.push('');
  lines.push(
    table(
      Object.entries(c.sources).map(([name, x]) => [
        name,
        x.messages,
        x.received,
        x.accepted,
        Object.values(x.rejectedMessages).reduce((a, b) => a + b, 0),
        Object.values(x.deadLetters).reduce((a, b) => a + b, 0),
        Object.values(x.pipelineRejected).reduce((a, b) => a + b, 0),
        x.queueDepthMax,
        `${x.backpressure.pauses}× ${x.backpressure.pausedMs} ms`,
        x.connector,
      ]),
      ['source', 'messages', 'events', 'accepted', 'bad messages', 'bad events', 'late', 'max queue', 'paused', 'transport'],
    ),
  );
  lines.push(...formatOutputs(s));
  return lines.join('\n');
}
