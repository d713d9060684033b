import { spawn } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, SuiteContext, SuiteResult } from '../lib/suite.js';
import { nowMs } from '../lib/timing.js';

/**
 * The main job's wall time: `npm start` (`tributary demo`: generate the samples of the three
 * domains, replay each config, build its feature-label set, train, report held-out metrics against
 * the baseline, and score live events), run as a child process in a fresh folder, from start to
 * exit. The first run includes a cold tsx compile cache only if the machine never ran it.
 *
 *   BENCH_SUITES=mainJob npm run bench
 * Environment: BENCH_REPS (default 1 here: a run takes about a minute).
 */
export const mainJob: BenchSuite = {
  name: 'mainJob',
  description: 'wall time of npm start (tributary demo) on the embedded sample data',
  async run(ctx: SuiteContext): Promise<SuiteResult> {
    const started = nowMs();
    const reps = Math.max(1, Math.min(ctx.reps, 3));
    const runs: number[] = [];
    const cli = resolve('bin', 'tributary.mjs');
    for (let r = 0; r < reps; r++) {
      const dir = join(ctx.scratchDir, `run-${r}`);
      mkdirSync(dir, { recursive: true });
      cpSync(resolve('configs'), join(dir, 'configs'), { recursive: true });
      const t0 = nowMs();
      const code = await new Promise<number | null>((done) => {
        const child = spawn(process.execPath, [cli, 'demo'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr!.on('data', () => undefined);
        child.on('exit', (c) => done(c));
      });
      if (code !== 0) throw new Error(`tributary demo exited with ${code}`);
      runs.push(nowMs() - t0);
      ctx.log(`mainJob: run ${r + 1}/${reps}: ${round(runs.at(-1)! / 1000, 1)} s`);
    }
    return {
      workload: { command: 'tributary demo', reps },
      contenders: { demo: contender('npm start', runs, 1, 'jobs') },
      notes: ['one job = generate, replay, label, train and live-score all three domains'],
      wallMs: round(nowMs() - started, 1),
    };
  },
};
