import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../../src/actors/cluster/localCluster.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../../src/sdk/config/types.js';
import { replay } from '../../../src/sdk/replay.js';
import { SAMPLE_DOMAINS } from '../../../src/sdk/samples/index.js';
import { sampleDomainConfig } from '../../fixtures/sampleDomainConfig.js';
import { ARROYO_DIR, CARS, IMPULSE } from '../../fixtures/arroyoConfigs.js';
import { tempDir } from '../../helpers/tables.js';
import { expectSameOutput } from '../threads/helpers.js';

/**
 * Executor equivalence, cluster side: every example config and the Arroyo conformance configs give
 * the same tables on a coordinator with 3 `tributary node` processes over loopback as with
 * `--executor local` (the threads executor has the same test in ../threads). Checkpoints are taken
 * every few hundred rows (tens for the small Arroyo files), so the outputs cross several epochs.
 */

const tmp = tempDir('tributary-cluster-eq-');
let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3 });
}, 90_000);
afterAll(async () => {
  await cluster?.close();
  tmp.remove();
});

async function expectClusterEqualsLocal(name: string, config: FeatureSetConfig, checkpointEveryRows: number): Promise<void> {
  const local = await replay(config, { out: join(tmp.dir, 'out', name, 'local'), store: false });
  const events: string[] = [];
  const clustered = await replay(config, {
    out: join(tmp.dir, 'out', name, 'cluster'),
    store: false,
    executor: 'cluster',
    cluster: { coordinator: cluster.coordinator, nodes: 3, checkpointEveryRows, onEvent: (e) => events.push(e.type) },
  });
  expect(local.tables.length).toBeGreaterThan(0);
  expect(events.filter((e) => e === 'checkpoint').length, 'checkpoints taken').toBeGreaterThan(0);
  expectSameOutput(clustered, local);
}

describe('cluster executor (3 node processes) gives the same tables as local', () => {
  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}`, async () => {
      await expectClusterEqualsLocal(domain, await sampleDomainConfig(tmp.dir, domain), 1000);
    }, 180_000);
  }
  for (const [name, text] of [['cars', CARS], ['impulse', IMPULSE]] as const) {
    it(`Arroyo ${name}`, async () => {
      await expectClusterEqualsLocal(name, parseConfig(text, { dir: ARROYO_DIR, dataDir: join(tmp.dir, 'state', name) }), 30);
    }, 120_000);
  }
});
