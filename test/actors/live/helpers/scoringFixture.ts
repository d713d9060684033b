import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { generateSamples } from '../../../../src/sdk/samples/index.js';

export type Row = Record<string, string | number | boolean>;

/** The txn_id of the live transaction at a merchant bucket no training row has. */
export const UNSEEN_TXN = 'tx_unseen_bucket';

export interface Fixture {
  /** The config: the repository's payments.yaml over the history files, with live sections. */
  file: string;
  /** Live rows per source, in time order (the transactions include the unseen-bucket one). */
  live: Record<string, Row[]>;
  cut: number;
}

/** CSV lines (a header, no quoting in the samples) as rows; amount as a number. */
function csvRows(text: string): Row[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, names[i] === 'amount' ? Number(v) : v])));
}

function csvText(rows: Row[], names: string[]): string {
  return [names.join(','), ...rows.map((r) => names.map((n) => String(r[n])).join(','))].join('\n') + '\n';
}

/**
 * Payments samples split at 85% of the time span: history files before the cut (what training sees
 * and a live run catches up on), live rows after it. One more approved live transaction, a
 * millisecond after a real one, is at a merchant bucket never seen ('space_tourism').
 *
 * `live` says how each source gets a live section: `hand` (a test supplies the transport), a ZeroMQ
 * PULL endpoint to bind, or none (the source is history only).
 */
export async function paymentsLiveFixture(dir: string, live: Record<'transactions' | 'logins' | 'fraud_reports', 'hand' | 'none' | { zmq: string }>, scale = 0.12): Promise<Fixture> {
  const samples = join(dir, 'samples');
  await generateSamples('payments', samples, { scale, seed: 5 });
  const txns = csvRows(readFileSync(join(samples, 'transactions.csv'), 'utf8'));
  const reports = csvRows(readFileSync(join(samples, 'fraud_reports.csv'), 'utf8'));
  const logins = readFileSync(join(samples, 'logins.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  const t = (r: Row) => Date.parse(r.ts as string);
  const first = t(txns[0]!);
  const last = t(txns[txns.length - 1]!);
  const cut = first + 0.85 * (last - first);
  const history = join(dir, 'history');
  mkdirSync(history, { recursive: true });
  writeFileSync(join(history, 'transactions.csv'), csvText(txns.filter((r) => t(r) < cut), ['ts', 'txn_id', 'card_id', 'user_id', 'merchant_id', 'merchant_bucket', 'amount', 'ip', 'status']));
  writeFileSync(join(history, 'fraud_reports.csv'), csvText(reports.filter((r) => t(r) < cut), ['ts', 'card_id', 'txn_id']));
  writeFileSync(join(history, 'logins.jsonl'), logins.filter((r) => t(r) < cut).map((r) => JSON.stringify(r)).join('\n') + '\n');

  const liveTxns = txns.filter((r) => t(r) >= cut);
  const at = liveTxns.findIndex((r, i) => i > 10 && r.status === 'approved');
  const template = liveTxns[at]!;
  liveTxns.splice(at + 1, 0, { ...template, txn_id: UNSEEN_TXN, merchant_bucket: 'space_tourism', ts: new Date(t(template) + 1).toISOString() });

  const doc = parseDocument(readFileSync('configs/payments.yaml', 'utf8'));
  for (const [source, file] of [['transactions', 'transactions.csv'], ['logins', 'logins.jsonl'], ['fraud_reports', 'fraud_reports.csv']] as const) {
    doc.setIn(['sources', source, 'path'], join(history, file));
    const how = live[source];
    if (how === 'none') continue;
    const endpoint = how === 'hand' ? 'tcp://127.0.0.1:1' : how.zmq;
    doc.setIn(['sources', source, 'live'], doc.createNode({ zmq: { endpoint, pattern: 'pull', bind: true }, batch_rows: 64, max_delay: '1ms' }));
  }
  doc.set('data_dir', join(dir, 'state'));
  const file = join(dir, 'payments.yaml');
  writeFileSync(file, doc.toString());
  return { file, cut, live: { transactions: liveTxns, logins: logins.filter((r) => t(r) >= cut), fraud_reports: reports.filter((r) => t(r) >= cut) } };
}
