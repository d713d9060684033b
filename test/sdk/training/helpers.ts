import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSamples, type SampleDomain } from '../../../src/sdk/samples/index.js';

/**
 * A domain's repository config, unchanged but for a `data_dir` inside `dir`, over freshly generated
 * small samples (seed 3) where its relative paths find them. Returns the config file.
 */
export async function domainConfig(dir: string, domain: SampleDomain, scale: number): Promise<string> {
  await generateSamples(domain, join(dir, 'data', 'samples', domain), { scale, seed: 3 });
  mkdirSync(join(dir, 'configs'), { recursive: true });
  const file = join(dir, 'configs', `${domain}.yaml`);
  writeFileSync(file, readFileSync(join('configs', `${domain}.yaml`)));
  appendFileSync(file, `\ndata_dir: ../state/${domain}\n`);
  return file;
}
