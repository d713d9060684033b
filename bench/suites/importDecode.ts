import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTaskPool, type TaskPool } from '../../src/actors/pool/taskPool.js';
import type { Column } from '../../src/pipelines/data/column.js';
import { importFile } from '../../src/store/ingest/importFile.js';
import { DECODE_TASK } from '../../src/store/ingest/parallel/readParallel.js';
import { EventLog } from '../../src/store/log/eventLog.js';
import type { SourceLog } from '../../src/store/log/sourceLog.js';
import type { SourceSpec } from '../../src/store/log/sourceSpec.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, envInt, median, nowMs, timedWithLoad } from '../lib/timing.js';

/**
 * Importing a text file on the calling thread against decoding it on the task pool
 * (src/store/ingest/parallel): `importFile(log, file)` vs `importFile(log, file, { threads })`.
 *
 * Workload: N rows (BENCH_EVENTS, default 1.5M) of a source with an ISO time, a key of 100k users,
 * a 12-value string, a float, an int and a free-text string that is quoted (commas, `""`, a line
 * break) every 50th row, written as CSV and as JSON lines. Each run imports into a fresh log, end to
 * end: reading, decoding, checks, dictionaries, segments written. The pool is started and warmed
 * before timing; its cold start is measured apart. Then the same at N/16 rows, to place the size
 * under which the pool does not pay (PARALLEL_MIN_BYTES). Every pool import is compared with the
 * sequential one (dictionaries, and every column's bytes read back), so a fast wrong answer fails.
 *
 *   BENCH_SUITES=importDecode BENCH_REPS=3 BENCH_OUT=bench/results/importDecode.json npm run bench
 * Environment: BENCH_EVENTS, BENCH_REPS, BENCH_POOL_THREADS (2).
 */

const SPEC: SourceSpec = {
  name: 'orders',
  time: 'ts',
  timeFormat: 'auto',
  keys: ['user'],
  lateness: 0,
  columns: { user: 'string', kind: 'string', amount: 'float64', qty: 'int64', note: 'string' },
};
const KINDS = ['buy', 'sell', 'hold', 'swap', 'lend', 'borrow', 'stake', 'mint', 'burn', 'bridge', 'vote', 'claim'];
const T0 = Date.UTC(2024, 0, 1);

/** Write the workload as CSV and JSON lines, streamed. */
async function writeInputs(dir: string, rows: number): Promise<{ csv: string; jsonl: string }> {
  const csv = join(dir, `orders-${rows}.csv`);
  const jsonl = join(dir, `orders-${rows}.jsonl`);
  const c = createWriteStream(csv);
  const j = createWriteStream(jsonl);
  c.write('ts,user,kind,amount,qty,note\n');
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let at = 0; at < rows; ) {
    const cs: string[] = [];
    const js: string[] = [];
    for (const end = Math.min(rows, at + 10_000); at < end; at++) {
      const ts = new Date(T0 + at * 37).toISOString();
      const user = `user_${Math.floor(rand() * 100_000)}`;
      const kind = KINDS[at % KINDS.length]!;
      const amount = Math.round(rand() * 1e6) / 100;
      const qty = Math.floor(rand() * 1000);
      const note = at % 50 === 0 ? `said "hi", twice\nthen left ${at % 7}` : `n${at % 301}`;
      cs.push(`${ts},${user},${kind},${amount},${qty},${/[",\n]/.test(note) ? `"${note.replace(/"/g, '""')}"` : note}\n`);
      js.push(JSON.stringify({ ts, user, kind, amount, qty, note }) + '\n');
    }
    if (!c.write(cs.join(''))) await new Promise<void>((r) => c.once('drain', () => r()));
    if (!j.write(js.join(''))) await new Promise<void>((r) => j.once('drain', () => r()));
  }
  await Promise.all([new Promise<void>((r) => c.end(() => r())), new Promise<void>((r) => j.end(() => r()))]);
  return { csv, jsonl };
}

/** The first difference between two imported logs (dictionaries, then every column's bytes), or undefined. */
async function compareLogs(a: SourceLog, b: SourceLog): Promise<string | undefined> {
  if (a.rowCount !== b.rowCount) return `rows ${a.rowCount} vs ${b.rowCount}`;
  for (const [name, d] of a.dictionaries) if (JSON.stringify(d.values) !== JSON.stringify(b.dictionaries.get(name)!.values)) return `dictionary ${name} differs`;
  if (JSON.stringify(a.segments) !== JSON.stringify(b.segments)) return 'segments differ';
  const bytes = async (log: SourceLog) => {
    const parts: Buffer[] = [];
    for await (const batch of log.read()) {
      parts.push(Buffer.from(batch.time.buffer, batch.time.byteOffset, batch.time.byteLength));
      for (const c of Object.values(batch.columns) as Column[]) {
        const v = c.type === 'dictionary' ? c.codes : c.values;
        parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
    }
    return Buffer.concat(parts);
  };
  return (await bytes(a)).equals(await bytes(b)) ? undefined : 'column bytes differ';
}

/** Run the benchmark and return its result (what `npm run bench` records under `importDecode`). */
export async function run(ctx: Partial<SuiteContext> = {}): Promise<SuiteResult> {
  const started = nowMs();
  const rows = ctx.events ?? envInt('BENCH_EVENTS', 1_500_000);
  const reps = ctx.reps ?? envInt('BENCH_REPS', 3);
  const threads = envInt('BENCH_POOL_THREADS', 2);
  const scratch = ctx.scratchDir ?? join(process.cwd(), 'bench', '.scratch-importDecode');
  const log = ctx.log ?? ((m: string) => process.stderr.write(`[importDecode] ${m}\n`));

  let runId = 0;
  const importInto = async (file: string, pool: TaskPool | undefined): Promise<{ log: SourceLog; dir: string }> => {
    const dir = join(scratch, `log-${runId++}`);
    const source = await (await EventLog.open(dir)).openSource(SPEC);
    await importFile(source, file, pool === undefined ? {} : { threads: pool.threads, parallel: { pool, minBytes: 0 } });
    return { log: source, dir };
  };
  const drop = (dir: string) => rm(dir, { recursive: true, force: true });

  await mkdir(scratch, { recursive: true });
  // The pool's cold start: threads, tsx and the task module, then one tiny task.
  const coldPool = createTaskPool({ threads, preload: [DECODE_TASK] });
  const coldStart = nowMs();
  const { csv: tinyCsv } = await writeInputs(scratch, 100);
  await importInto(tinyCsv, coldPool);
  const coldMs = nowMs() - coldStart;
  await coldPool.close();

  const pool = createTaskPool({ threads, preload: [DECODE_TASK] });
  const contenders: Record<string, ContenderResult> = {};
  const verification: Record<string, unknown> = {};
  const medians: Record<string, number> = {};
  try {
    for (const [n, repeats, tag] of [
      [rows, reps, ''],
      [Math.round(rows / 16), reps, '_small'],
    ] as const) {
      log(`writing ${n.toLocaleString('en-US')} rows as CSV and JSON lines`);
      const inputs = await writeInputs(scratch, n);
      for (const format of ['csv', 'jsonl'] as const) {
        collectGarbage();
        const file = inputs[format];
        const { size } = await stat(file);
        // Warm-up, untimed, and the check: the pool's import must be the sequential one.
        const ref = await importInto(file, undefined);
        const par = await importInto(file, pool);
        verification[`${format}${tag}`] = (await compareLogs(ref.log, par.log)) ?? 'identical';
        await Promise.all([drop(ref.dir), drop(par.dir)]);
        const runsMs = { seq: [] as number[], pool: [] as number[] };
        const others = { seq: [] as number[], pool: [] as number[] };
        for (let r = 0; r < repeats; r++) {
          for (const which of ['seq', 'pool'] as const) {
            collectGarbage();
            await new Promise((res) => setTimeout(res, 100));
            const t = await timedWithLoad(() => importInto(file, which === 'pool' ? pool : undefined));
            runsMs[which].push(t.ms);
            others[which].push(t.otherCores);
            await drop(t.value.dir);
          }
          log(`${format}${tag} ${(size / 2 ** 20).toFixed(0)} MiB: rep ${r + 1}/${repeats} seq ${runsMs.seq.at(-1)!.toFixed(0)} ms, pool ${runsMs.pool.at(-1)!.toFixed(0)} ms`);
        }
        const mib = `${(size / 2 ** 20).toFixed(1)} MiB`;
        contenders[`${format}${tag}_seq`] = contender(`${format} ${mib}, importFile on the calling thread`, runsMs.seq, n, 'rows', { extra: { otherCoresPerRun: others.seq, bytes: size } });
        contenders[`${format}${tag}_pool`] = contender(`${format} ${mib}, importFile decoding on ${threads} pool threads`, runsMs.pool, n, 'rows', { extra: { otherCoresPerRun: others.pool, bytes: size } });
        medians[`${format}${tag}`] = median(runsMs.seq) / median(runsMs.pool);
      }
      await Promise.all([rm(inputs.csv, { force: true }), rm(inputs.jsonl, { force: true })]);
    }
  } finally {
    await pool.close();
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
  return {
    workload: { rows, smallRows: Math.round(rows / 16), threads, reps },
    contenders,
    ratios: Object.fromEntries(Object.entries(medians).map(([k, v]) => [`${k}_seq_over_pool`, round(v, 2)])),
    verification,
    notes: [
      `pool cold start (${threads} threads, tsx, the task module, one tiny import): ${round(coldMs, 0)} ms; timed runs use a warm pool`,
      'each run imports into a fresh log: read, decode, check, dictionaries, segments written (the calling thread appends and writes segments)',
    ],
    wallMs: round(nowMs() - started, 0),
  };
}

export const importDecode: BenchSuite = {
  name: 'importDecode',
  description: 'CSV and JSON-lines import on the calling thread vs decoded on the task pool (2 threads)',
  run: (ctx) => run(ctx),
};
