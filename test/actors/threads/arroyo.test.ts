/**
 * The Arroyo conformance configs (test/conformance/arroyo.test.ts, which checks the local executor
 * against the golden rows) under worker threads: the tables must equal the local ones, row for row.
 * They cover what the example configs do not: keyless windows (one global key group), hopping
 * windows, and session windows keyed on a computed numeric column.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../src/sdk/replay.js';
import { ARROYO_DIR as ARROYO, CARS, IMPULSE } from '../../fixtures/arroyoConfigs.js';
import { tempDir } from '../../helpers/tables.js';
import { expectNoFallback, expectSameOutput } from './helpers.js';

const tmp = tempDir('tributary-threads-arroyo-');
afterAll(() => tmp.remove());

describe('Arroyo conformance configs under the threads executor', () => {
  for (const [name, text] of [['cars', CARS], ['impulse', IMPULSE]] as const) {
    it(`${name}: 2 worker threads give the local tables`, async () => {
      const config = parseConfig(text, { dir: ARROYO, dataDir: join(tmp.dir, name) });
      const local = await replay(config, { out: join(tmp.dir, name, 'local'), store: false });
      const notices: string[] = [];
      const threads = await replay(config, { out: join(tmp.dir, name, 'threads'), store: false, executor: 'threads', workers: 2, onNotice: (m) => notices.push(m) });
      expectNoFallback(notices);
      expectSameOutput(threads, local);
      // Every event of the conformance input reached the workers (7,932 cars, 100 impulses).
      expect(Object.values(threads.events).reduce((a, b) => a + b, 0)).toBe(name === 'cars' ? 7932 : 100);
    }, 120_000);
  }
});
