import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Summarize a V8 .cpuprofile (from `node --cpu-prof`): self and total time per function, heaviest
 * first. Point it at a file or at a --cpu-prof-dir (the newest profile there is read).
 *
 *   BENCH_EVENTS=2000000 BENCH_REPS=3 BENCH_CONTENDERS=tributary BENCH_REPLAY=0 \
 *     node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts
 *   node --import tsx bench/tools/cpuprofile.ts /tmp/prof [top=30] [filter]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function newest(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

function label(cf: CallFrame): string {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  let file = cf.url.replace(/^file:\/\//, '');
  if (file.includes('/node_modules/')) file = file.slice(file.indexOf('/node_modules/') + 1);
  else file = relative(process.cwd(), file);
  // tsx-transpiled .ts files report positions in generated code: the line would mislead, so omit it.
  return file.endsWith('.ts') ? `${name} ${file}` : `${name} ${file}:${cf.lineNumber + 1}`;
}

export function summarize(path: string, top = 30, filter?: string): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfUs) {
    all += us;
    const n = byId.get(id)!;
    const l = label(n.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    // Total: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur)!.callFrame);
      if (seen.has(cl)) continue;
      seen.add(cl);
      total.set(cl, (total.get(cl) ?? 0) + us);
    }
  }
  const keep = (l: string) => filter === undefined || l.includes(filter);
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([l]) => keep(l))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${l}`)
      .join('\n');
  return [`${path}: ${(all / 1000).toFixed(0)} ms sampled`, '-- self time', fmt(self), '-- total time (inclusive)', fmt(total)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const target = process.argv[2] ?? '.';
  const file = statSync(target).isDirectory() ? newest(target) : target;
  process.stdout.write(`${summarize(file, Number(process.argv[3] ?? 30), process.argv[4])}\n`);
}
