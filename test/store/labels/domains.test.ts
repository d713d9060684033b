import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { generateSamples, type SampleDomain } from '../../../src/sdk/samples/index.js';
import { buildSets, type BuiltSet } from '../../../src/store/labels/buildSets.js';
import { featureMatrix } from '../../../src/store/labels/featureMatrix.js';
import { SET_METADATA } from '../../../src/store/labels/setMetadata.js';
import { tempDir } from '../../helpers/tables.js';

/**
 * The three domain configs build their sets end to end on small generated samples: import, replay,
 * label, write. Beyond shape, each set must show the signal its generator planted, which only
 * survives when features are joined at the right time and labels look at the right future.
 */

const tmp = tempDir('tributary-domains-');
afterAll(() => tmp.remove());

async function build(domain: SampleDomain, scale: number): Promise<{ set: BuiltSet; table: Table }> {
  await generateSamples(domain, join(tmp.dir, 'data', 'samples', domain), { scale, seed: 3 });
  mkdirSync(join(tmp.dir, 'configs'), { recursive: true });
  // The repository's config, unchanged, in a folder where its relative paths find the samples.
  const file = join(tmp.dir, 'configs', `${domain}.yaml`);
  writeFileSync(file, readFileSync(join('configs', `${domain}.yaml`)));
  const config = loadConfig(file, { dataDir: join(tmp.dir, 'state', domain) });
  const result = await buildSets(config);
  expect(result.replay, 'a first build replays').toBeDefined();
  expect(result.sets).toHaveLength(1);
  const set = result.sets[0]!;
  return { set, table: tableFromIPC(readFileSync(set.file)) };
}

function column(t: Table, name: string): Float64Array {
  const v = t.getChild(name)!;
  return Float64Array.from({ length: t.numRows }, (_, i) => (v.get(i) === null ? NaN : Number(v.get(i))));
}

/** Mean of `x` over the rows where `label` equals `which` (NaN skipped). */
function meanWhere(x: Float64Array, label: Float64Array, which: number): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) if (label[i] === which && !Number.isNaN(x[i]!)) (s += x[i]!), n++;
  return s / n;
}

function checkShape(set: BuiltSet, table: Table): void {
  expect(table.numRows).toBe(set.counts.kept);
  expect(set.counts.kept).toBeGreaterThan(100);
  expect(set.counts.spine).toBe(set.counts.kept + set.counts.filtered + set.counts.droppedPastEnd);
  expect(set.counts.droppedPastEnd).toBeGreaterThan(0);
  const m = featureMatrix(table);
  expect(m).toMatchObject({ rows: table.numRows, width: set.featureColumns.length });
  const rows = JSON.parse(table.schema.metadata.get(SET_METADATA.rows)!) as { kept: number };
  expect(rows.kept).toBe(set.counts.kept);
}

describe('domain configs build their feature-label sets end to end', () => {
  it('market: sign of the mid move over the next 5 s, led by the trade-flow imbalance', async () => {
    const { set, table } = await build('market', 0.15);
    checkShape(set, table);
    const label = column(table, 'mid_move_5s');
    expect(new Set(label)).toEqual(new Set([-1, 0, 1]));
    // Planted: buy/sell imbalance of the last ~20 s predicts the direction.
    const flow = column(table, 'flow_imbalance_30s');
    expect(meanWhere(flow, label, 1)).toBeGreaterThan(meanWhere(flow, label, -1) + 0.15);
  });

  it('payments: fraud within 7 days, keyed on the transaction, with outsized amounts and login bursts before it', async () => {
    const { set, table } = await build('payments', 0.25);
    checkShape(set, table);
    expect(set.counts.filtered).toBeGreaterThan(0); // declined transactions
    const label = column(table, 'fraud_7d');
    const positives = label.filter((x) => x === 1).length;
    expect(positives).toBeGreaterThan(10);
    expect(positives).toBeLessThan(label.length / 20);
    // Planted: fraud is far above the card's habit (z-score of 5 or more).
    expect(meanWhere(column(table, 'amount_z'), label, 1)).toBeGreaterThan(meanWhere(column(table, 'amount_z'), label, 0) + 2);
    // Joined from logins on user_id: account takeovers follow failed-login bursts.
    expect(meanWhere(column(table, 'failed_logins_1d'), label, 1)).toBeGreaterThan(meanWhere(column(table, 'failed_logins_1d'), label, 0));
  });

  it('user_events: no purchase next week, per active user and week, more likely after /bug', async () => {
    const { set, table } = await build('user_events', 0.2);
    checkShape(set, table);
    // The spine is the weekly_events table: its time column is the week's end.
    expect(table.schema.fields.map((f) => f.name)).toContain('window_end');
    const label = column(table, 'churn_next_week');
    expect(new Set(label)).toEqual(new Set([0, 1]));
    // Planted: users who saw /bug buy far less afterwards.
    const bug = column(table, 'bug_views_7d');
    let churnAfterBug = 0;
    let bugRows = 0;
    let churnOther = 0;
    let otherRows = 0;
    for (let i = 0; i < label.length; i++) {
      if (bug[i]! > 0) (bugRows++, (churnAfterBug += label[i]!));
      else (otherRows++, (churnOther += label[i]!));
    }
    expect(bugRows).toBeGreaterThan(5);
    expect(churnAfterBug / bugRows).toBeGreaterThan(churnOther / otherRows + 0.1);
  });
});
