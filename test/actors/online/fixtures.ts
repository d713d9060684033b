import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFeatureSet, type CompiledFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../../src/sdk/config/types.js';
import { registryFor, replay } from '../../../src/sdk/replay.js';

/**
 * A small shop: card transactions and user logins. Hand-computed latest vectors (windows are
 * half-open, so a row's sliding value leaves out the row's own event):
 *   c1: latest row 01:30 (c1, u2, 40): spend_1d 30, txn_count_1d 2, amount_ratio 40/30; hourly_spend 40 (window 01:00-02:00)
 *   c2: latest row 00:20 (c2, u2, 5): spend_1d 0 (empty window, default 0), txn_count_1d 0, amount_ratio 5; hourly_spend 5
 *   u1: latest login 00:50: failed_logins_1h 2;  u2: latest login 00:30: failed_logins_1h 0
 *   risk = spend_1d / max(failed_logins_1h, 1) mixes the two sources: (c1, u1) -> 15
 */
export const SHOP_YAML = `
name: shop
data_dir: data
online: { zmq: "tcp://127.0.0.1:*", http: 0 }
sources:
  txns:
    path: txns.csv
    time: ts
    keys: [card_id, user_id]
    lateness: 0s
    columns: { card_id: string, user_id: string, amount: float64 }
  logins:
    path: logins.csv
    time: ts
    keys: [user_id]
    lateness: 0s
    columns: { user_id: string, success: bool }
features:
  - name: spend
    source: txns
    op: sum
    column: amount
    windows: [1d]
    default: 0
    max_staleness: 2h
  - name: txn_count
    source: txns
    op: count
    windows: [1d]
  - name: amount_ratio
    expr: "amount / max(spend_1d, 1)"
  - name: failed_logins
    source: logins
    key: user_id
    op: count
    where: "success == false"
    windows: [1h]
    default: 0
  - name: risk
    expr: "spend_1d / max(failed_logins_1h, 1)"
  - name: hourly_spend
    source: txns
    op: sum
    column: amount
    window: { tumbling: 1h }
`;

export const T0 = Date.UTC(2024, 0, 1);
export const MIN = 60_000;

export function writeShop(dir: string): string {
  writeFileSync(
    join(dir, 'txns.csv'),
    ['ts,card_id,user_id,amount', '2024-01-01T00:00:00Z,c1,u1,10', '2024-01-01T00:10:00Z,c1,u1,20', '2024-01-01T00:20:00Z,c2,u2,5', '2024-01-01T01:30:00Z,c1,u2,40', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'logins.csv'),
    ['ts,user_id,success', '2024-01-01T00:05:00Z,u1,false', '2024-01-01T00:06:00Z,u1,false', '2024-01-01T00:30:00Z,u2,true', '2024-01-01T00:50:00Z,u1,false', ''].join('\n'),
  );
  const file = join(dir, 'shop.yaml');
  writeFileSync(file, SHOP_YAML);
  return file;
}

/** Write the shop's files into `dir`, replay them (which fills `<dir>/data/store`), and compile the config. */
export async function replayShop(dir: string): Promise<{ file: string; config: FeatureSetConfig; compiled: CompiledFeatureSet }> {
  const file = writeShop(dir);
  const config = loadConfig(file);
  const summary = await replay(config);
  if (summary.events.txns !== 4 || summary.events.logins !== 4) throw new Error(`unexpected replay: ${JSON.stringify(summary.events)}`);
  return { file, config, compiled: compileFeatureSet(config, await registryFor(config)) };
}
