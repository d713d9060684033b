import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../../src/sdk/replay.js';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import { readArrowRows, tempDir } from '../../helpers/tables.js';
import { replayShop } from '../../actors/online/fixtures.js';
import { tableRows } from './fixtures/tables.js';

const tmp = tempDir('tributary-store-replay-');
afterAll(() => tmp.remove());

describe('replay into the feature store', () => {
  it('stores the same rows as the feature files, and a second replay replaces them', async () => {
    const { config, compiled } = await replayShop(tmp.dir);
    const dir = join(config.dataDir, 'store');
    expect(readdirSync(dir).sort()).toEqual(['hourly_spend', 'logins', 'txns']);
    const check = async () => {
      const store = await FeatureStore.open(dir);
      for (const t of compiled.tables) {
        const file = readArrowRows(join(config.dataDir, 'features', `${t.name}.arrow`));
        const spec = store.table(t.name).spec;
        const stored = tableRows(store.getFeatures(spec.features.map((f) => f.name)));
        const keep = [t.timeColumn, ...spec.keys, ...spec.groupBy, ...spec.columns.map((c) => c.name)];
        const fromFile = file.map((r) => Object.fromEntries(keep.map((k) => [k, r[k]])));
        expect(stored.map((r) => Object.fromEntries(keep.map((k) => [k, r[k]]))), t.name).toEqual(fromFile);
        expect(stored.length, t.name).toBeGreaterThan(0);
      }
    };
    await check();
    await replay(config);
    await check();
    const rows = (await FeatureStore.open(dir)).stats();
    expect(rows).toEqual({ hourly_spend: { rows: 3, persisted: 3 }, logins: { rows: 4, persisted: 4 }, txns: { rows: 4, persisted: 4 } });
  });
});
