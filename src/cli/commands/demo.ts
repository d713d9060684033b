import { resolve } from 'node:path';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { replay } from '../../sdk/replay.js';
import { formatReplaySummary } from '../format.js';
import { DOMAINS, generateCommand } from './generate.js';

/**
 * `tributary demo` (what `npm start` runs): generate the sample data of every domain, then replay
 * each domain's config in `configs/` and print what came out.
 */
export async function demoCommand(flags: { out: string }, out: (line: string) => void): Promise<number> {
  await generateCommand('all', { out: flags.out }, out);
  for (const domain of DOMAINS) {
    out('');
    const summary = await replay(loadConfig(resolve('configs', `${domain}.yaml`)));
    out(formatReplaySummary(summary));
  }
  return 0;
}
