import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { Push } from 'zeromq';
import { liveCommand } from '../../../src/cli/commands/live.js';
import { trainCommand } from '../../../src/cli/commands/train.js';
import type { LiveScoringSummary } from '../../../src/sdk/training/index.js';
import { freePort, sleep, tempDir } from './helpers.js';
import { paymentsLiveFixture, UNSEEN_TXN } from './helpers/scoringFixture.js';

/**
 * `tributary live <config> --model <dir>` end to end: transactions arrive over a real ZeroMQ PULL
 * socket (logins and fraud reports are history only), every new approved transaction is scored once
 * and written to the predictions stream, which reads back as Arrow while the command reports it.
 */

const tmp = tempDir('tributary-live-command-');
afterAll(() => tmp.remove());

describe('tributary live --model', () => {
  it('scores every new row of the model set over a real socket and writes the predictions file', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const fx = await paymentsLiveFixture(tmp.dir, { transactions: { zmq: endpoint }, logins: 'none', fraud_reports: 'none' }, 0.06);
    const lines: string[] = [];
    expect(await trainCommand(fx.file, { model: 'logistic', epochs: 2, categorical: 'merchant_bucket', json: true }, (l) => lines.push(l))).toBe(0);
    const { dir } = JSON.parse(lines.join('\n')) as { dir: string };

    await expect(liveCommand(fx.file, { duration: '1s', maxHold: '1m' }, () => {})).rejects.toThrow(/--max-hold go with --model/);
    await expect(liveCommand(fx.file, { duration: '1s', model: dir, maxHold: 'soon' }, () => {})).rejects.toThrow(/--max-hold/);

    const out: string[] = [];
    const running = liveCommand(fx.file, { duration: '4s', model: dir, json: true }, (l) => out.push(l));
    const producer = new Push();
    producer.connect(endpoint);
    await sleep(1500); // the run catches up on the history, then binds
    const txns = fx.live.transactions!;
    for (let i = 0; i < txns.length; i += 40) await producer.send(txns.slice(i, i + 40).map((r) => JSON.stringify(r)).join('\n'));
    expect(await running).toBe(0);
    producer.close();

    const report = JSON.parse(out.join('\n')) as { counters: { sources: Record<string, { accepted: number }> }; scoring: LiveScoringSummary };
    expect(report.counters.sources.transactions!.accepted).toBe(txns.length);
    const approved = new Set(txns.filter((r) => r.status === 'approved').map((r) => r.txn_id as string));
    const predictions = tableFromIPC(readFileSync(report.scoring.file));
    const ids = predictions.getChild('txn_id')!.toArray() as string[];
    expect(new Set(ids).size).toBe(ids.length); // each row once
    for (const id of approved) expect(ids).toContain(id);
    expect(ids.length - approved.size).toBeLessThanOrEqual(1); // the history's newest millisecond, held until a later event
    expect(report.scoring.scored).toBe(ids.length);
    expect(ids).toContain(UNSEEN_TXN);
    for (const p of predictions.getChild('prediction')!.toArray() as Float64Array) expect(p >= 0 && p <= 1).toBe(true);
  }, 240_000);
});
