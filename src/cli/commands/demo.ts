import { resolve } from 'node:path';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { replay } from '../../sdk/replay.js';
import { formatReplaySummary } from '../format.js';
import { DOMAINS, generateCommand } from './generate.js';
import { trainCommand } from './train.js';

/**
 * `tributary demo` (what `npm start` runs): generate the sample data of every domain, then for each
 * domain's config in `configs/`, replay it, build its feature-label set, and train a TF.js model on
 * it, reporting held-out metrics against a naive baseline.
 */
export async function demoCommand(flags: { out: string; epochs?: string }, out: (line: string) => void): Promise<number> {
  await generateCommand('all', { out: flags.out }, out);
  for (const domain of DOMAINS) {
    const file = resolve('configs', `${domain}.yaml`);
    out(`\n== ${domain}`);
    out(formatReplaySummary(await replay(loadConfig(file))));
    out('');
    await trainCommand(file, { model: 'logistic', epochs: flags.epochs ?? '5' }, out);
  }
  return 0;
}
