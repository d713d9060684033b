import { resolve } from 'node:path';
import { generateSamples, type SampleDomain } from '../../sdk/samples/index.js';
import { table } from '../format.js';

export const DOMAINS: readonly SampleDomain[] = ['market', 'user_events', 'payments'];

export interface GenerateFlags {
  out: string;
  seed?: string;
  scale?: string;
}

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} "${value}" must be a positive number`);
  return n;
}

/** `tributary generate <domain|all>`: deterministic sample data, written under `<out>/<domain>/`. */
export async function generateCommand(domain: string, flags: GenerateFlags, out: (line: string) => void): Promise<number> {
  const domains = domain === 'all' ? DOMAINS : [domain as SampleDomain];
  if (!domains.every((d) => DOMAINS.includes(d))) throw new Error(`unknown domain "${domain}": choose one of ${DOMAINS.join(', ')} or all`);
  const seed = numberFlag('seed', flags.seed);
  const scale = numberFlag('scale', flags.scale);
  const rows: (string | number)[][] = [];
  for (const d of domains) {
    const started = Date.now();
    const result = await generateSamples(d, resolve(flags.out, d), { ...(seed !== undefined && { seed }), ...(scale !== undefined && { scale }) });
    for (const f of result.files) rows.push([d, f.rows, f.path]);
    out(`generated ${d} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  out(table(rows, ['domain', 'rows', 'file']));
  return 0;
}
