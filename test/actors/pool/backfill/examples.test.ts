import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import { backfill } from '../../../../src/sdk/backfill.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../../../src/sdk/config/types.js';
import { replay, type ReplaySummary } from '../../../../src/sdk/replay.js';
import { SAMPLE_DOMAINS } from '../../../../src/sdk/samples/index.js';
import { sampleDomainConfig } from '../../../fixtures/sampleDomainConfig.js';
import { ARROYO_DIR, CARS, IMPULSE } from '../../../fixtures/arroyoConfigs.js';
import { tempDir } from '../../../helpers/tables.js';
import { expectSameAsReplay } from './helpers/compare.js';

/**
 * Backfill equals a full local replay restricted to the range, for every example config (on small
 * generated samples) and the Arroyo conformance configs: same tables, same columns, same rows in the
 * same order, value for value. Real pool threads (1 and 2), several partition counts, a range in the
 * middle of the log and the whole log.
 */

const tmp = tempDir('tributary-backfill-');
afterAll(async () => {
  await closeSharedTaskPools();
  tmp.remove();
});

/** Runs on the pool even for these small logs, with the partitions asked. */
const RUNS = [
  { threads: 1, partitions: 2 },
  { threads: 2, partitions: 2 },
  { threads: 2, partitions: 5 },
] as const;

async function checkRanges(config: FeatureSetConfig, full: ReplaySummary, label: string): Promise<void> {
  const { min, max } = full.timeRange!;
  const middle = [Math.round(min + (max - min) * 0.3), Math.round(min + (max - min) * 0.8)] as const;
  for (const run of RUNS) {
    const got = await backfill(config, { from: middle[0], to: middle[1], ...run, minEvents: 0, out: join(tmp.dir, 'bf', label, `${run.threads}-${run.partitions}`) });
    expect(got.onPool).toBe(true);
    expectSameAsReplay(config, full, got, middle[0], middle[1]);
  }
  // The whole log: the first partition starts before the first event, the last ends after the last.
  const all = await backfill(config, { from: min, to: max + 1, threads: 2, partitions: 3, minEvents: 0, out: join(tmp.dir, 'bf', label, 'all') });
  expectSameAsReplay(config, full, all, min, max + 1);
}

describe('backfill equals a full replay: example configs', () => {
  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}`, async () => {
      const config = await sampleDomainConfig(tmp.dir, domain);
      const full = await replay(config, { out: join(tmp.dir, 'out', domain), store: false });
      expect(full.tables.length).toBeGreaterThan(2);
      await checkRanges(config, full, domain);
    }, 120_000);
  }
});

describe('backfill equals a full replay: Arroyo conformance configs', () => {
  const cases = { cars: CARS, impulse: IMPULSE };
  const state: Record<string, { config: FeatureSetConfig; full: ReplaySummary }> = {};
  beforeAll(async () => {
    for (const [name, text] of Object.entries(cases)) {
      const config = parseConfig(text, { dir: ARROYO_DIR, dataDir: join(tmp.dir, 'arroyo', name) });
      state[name] = { config, full: await replay(config, { out: join(tmp.dir, 'arroyo-out', name), store: false }) };
    }
  });

  it('cars: tumbling and hopping windows per string, numeric and no key', async () => {
    const { config, full } = state.cars!;
    await checkRanges(config, full, 'cars');
  }, 120_000);

  it('impulse: hopping windows, and session windows (unbounded: read from the start of the log)', async () => {
    const { config, full } = state.impulse!;
    await checkRanges(config, full, 'impulse');
    const { min, max } = full.timeRange!;
    const got = await backfill(config, { from: min + (max - min) / 2, to: max + 1, threads: 2, partitions: 2, minEvents: 0, out: join(tmp.dir, 'bf', 'impulse-notice') });
    expect(got.notices).toEqual([expect.stringMatching(/table sessions is computed from the start of the log: sessions \(aggregate\)/)]);
    expect(got.tasks.filter((t) => t.tables.includes('sessions')).map((t) => t.readFrom)).toEqual([null]);
  }, 120_000);
});
