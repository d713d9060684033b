import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';
import { generateSamples, SAMPLE_DOMAINS } from '../../../src/sdk/samples/index.js';
import { tempDir } from '../../helpers/tables.js';
import { expectNoFallback, expectSameOutput } from './helpers.js';

/**
 * Executor equivalence: every example config, on small generated samples, gives the same feature
 * tables under `--executor local` and `--executor threads --workers 2`: the same columns in the same
 * order, the same rows in the same order, value for value.
 */

const tmp = tempDir('tributary-threads-');
afterAll(() => tmp.remove());

describe('threads executor gives the same tables as local', () => {
  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}: local and 2 worker threads`, async () => {
      await generateSamples(domain, join(tmp.dir, 'data', 'samples', domain), { scale: 0.05 });
      mkdirSync(join(tmp.dir, 'configs'), { recursive: true });
      const file = join(tmp.dir, 'configs', `${domain}.yaml`);
      writeFileSync(file, readFileSync(join('configs', `${domain}.yaml`)));
      const config = loadConfig(file, { dataDir: join(tmp.dir, 'state', domain) });
      const local = await replay(config, { out: join(tmp.dir, 'out', domain, 'local'), store: false });
      const notices: string[] = [];
      const threads = await replay(config, { out: join(tmp.dir, 'out', domain, 'threads'), store: false, executor: 'threads', workers: 2, onNotice: (m) => notices.push(m) });
      expectNoFallback(notices);
      expect(local.tables.length).toBeGreaterThan(0);
      expectSameOutput(threads, local);
    }, 120_000);
  }
});
