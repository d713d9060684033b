import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../../src/sdk/replay.js';
import { SAMPLE_DOMAINS } from '../../../src/sdk/samples/index.js';
import { sampleDomainConfig } from '../../fixtures/sampleDomainConfig.js';
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
      const config = await sampleDomainConfig(tmp.dir, domain);
      const local = await replay(config, { out: join(tmp.dir, 'out', domain, 'local'), store: false });
      const notices: string[] = [];
      const threads = await replay(config, { out: join(tmp.dir, 'out', domain, 'threads'), store: false, executor: 'threads', workers: 2, onNotice: (m) => notices.push(m) });
      expectNoFallback(notices);
      expect(local.tables.length).toBeGreaterThan(0);
      expectSameOutput(threads, local);
    }, 120_000);
  }
});
