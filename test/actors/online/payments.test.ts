import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineFetcher } from '../../../src/actors/online/onlineFetcher.js';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { registryFor, replay } from '../../../src/sdk/replay.js';
import { generateSamples } from '../../../src/sdk/samples/index.js';
import { FeatureStore } from '../../../src/store/features/featureStore.js';
import { tableSpecsFor } from '../../../src/store/features/tableSpec.js';
import { readArrowRows, tempDir } from '../../helpers/tables.js';

/**
 * Online equals replay, on the payments domain config: for sampled keys, every served feature is the
 * value in the latest row of its own key (single keys, the [card_id, merchant_id] pair, the
 * merchant_bucket `by` column), computed here by a naive scan of the replay's feature files.
 */
const tmp = tempDir('tributary-payments-online-');
let fetcher: OnlineFetcher;
let files: Record<string, Record<string, unknown>[]>;
let specs: ReturnType<typeof tableSpecsFor>;

beforeAll(async () => {
  await generateSamples('payments', join(tmp.dir, 'samples'), { scale: 0.02 });
  const yaml = readFileSync('configs/payments.yaml', 'utf8').replaceAll('../data/samples/payments/', './samples/');
  writeFileSync(join(tmp.dir, 'payments.yaml'), yaml.replace(/^name: payments$/m, 'name: payments\ndata_dir: data'));
  const config = loadConfig(join(tmp.dir, 'payments.yaml'));
  await replay(config);
  const compiled = compileFeatureSet(config, await registryFor(config));
  specs = tableSpecsFor(compiled);
  files = Object.fromEntries(compiled.tables.map((t) => [t.name, readArrowRows(join(config.dataDir, 'features', `${t.name}.arrow`))]));
  fetcher = await OnlineFetcher.create(await FeatureStore.open(join(config.dataDir, 'store')), compiled);
}, 120_000);
afterAll(() => tmp.remove());

describe('online fetch on the payments config', () => {
  it('serves, for every feature, the latest row of its own key', () => {
    const txns = files.transactions!;
    const logins = files.logins!;
    expect(txns.length).toBeGreaterThan(1000);
    const keys: Record<string, string>[] = [];
    for (let i = 0; i < 25; i++) {
      const r = txns[Math.floor((i * 7919) % txns.length)]!;
      const login = logins[Math.floor((i * 104_729) % logins.length)]!;
      keys.push({ card_id: String(r.card_id), user_id: String(i % 2 === 0 ? r.user_id : login.user_id), merchant_id: String(r.merchant_id), merchant_bucket: String(r.merchant_bucket) });
    }
    keys.push({ card_id: 'no-such-card', user_id: 'no-such-user', merchant_id: 'm?', merchant_bucket: 'b?' });
    const now = Math.max(...txns.map((r) => r.ts as number));
    const reply = JSON.parse(fetcher.handle(JSON.stringify({ keys, now })).body) as { results: { values: Record<string, number | null> }[] };
    expect(reply.results).toHaveLength(keys.length);
    let compared = 0;
    for (const spec of specs) {
      const rows = files[spec.name]!;
      for (const f of spec.features) {
        for (const col of f.columns) {
          keys.forEach((key, i) => {
            let latest: Record<string, unknown> | undefined;
            for (const r of rows) {
              if (!f.key.every((k) => String(r[k]) === key[k])) continue;
              if (latest === undefined || (r[spec.timeColumn] as number) >= (latest[spec.timeColumn] as number)) latest = r;
            }
            const want = latest === undefined ? (f.default ?? null) : ((latest[col] as number | null) ?? null);
            expect(reply.results[i]!.values[col], `${col} of ${JSON.stringify(key)}`).toEqual(want);
            compared++;
          });
        }
      }
    }
    const columns = specs.flatMap((s) => s.features.flatMap((f) => f.columns));
    expect(columns.length).toBeGreaterThan(30);
    expect(compared).toBe(columns.length * keys.length);
    // Every feature of the config was served: all of their key columns were given.
    expect(Object.keys(reply.results[0]!.values).sort()).toEqual([...columns].sort());
  });
});
