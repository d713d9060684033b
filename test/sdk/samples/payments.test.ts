import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { FRAUD_REPORT_MAX_DELAY_MS } from '../../../src/sdk/samples/index.js';
import { checkDomain, generateInto, lowerBound, mean, std, type SourceShape } from './helpers.js';

const DAY = 86_400_000;

describe('payments samples (default scale)', () => {
  let gen: Awaited<ReturnType<typeof generateInto>>;
  let shapes: Record<string, SourceShape>;
  /** For each fraud report, the row of the transaction it names (-1 if none). */
  let reported: number[];
  /** Rows of the reported (fraudulent) transactions. */
  let fraud: Set<number>;

  beforeAll(async () => {
    gen = await generateInto('payments');
    shapes = checkDomain(loadConfig('configs/payments.yaml'), gen.dir, gen.files);
    const index = new Map(shapes.transactions!.rows.map((r, i) => [r.txn_id as string, i]));
    reported = shapes.fraud_reports!.rows.map((r) => index.get(r.txn_id as string) ?? -1);
    fraud = new Set(reported);
  });
  afterAll(() => gen?.cleanup());

  it('has the promised size and span, in time order, every row fitting configs/payments.yaml', () => {
    const total = gen.files.reduce((n, f) => n + f.rows, 0);
    expect(total).toBeGreaterThan(100_000);
    expect(total).toBeLessThan(300_000);
    for (const s of Object.values(shapes)) expect(s.maxLateness).toBe(0);
    const tx = shapes.transactions!;
    const span = tx.times[tx.times.length - 1]! - tx.times[0]!;
    expect(span).toBeGreaterThan(119 * DAY);
    expect(span).toBeLessThanOrEqual(120 * DAY);
    expect(new Set(tx.rows.map((r) => r.txn_id)).size).toBe(tx.rows.length);
    expect(new Set(tx.rows.map((r) => r.status))).toEqual(new Set(['approved', 'declined']));
  });

  it('reports fraud within 7 days after an approved transaction of the same card', () => {
    const tx = shapes.transactions!;
    const reports = shapes.fraud_reports!;
    expect(reports.rows.length).toBeGreaterThan(200);
    // A fraud rate a model can learn from, but still rare.
    expect(reports.rows.length / tx.rows.length).toBeLessThan(0.01);
    reports.rows.forEach((r, i) => {
      const ti = reported[i]!;
      expect(ti, `report ${i} names a transaction`).toBeGreaterThanOrEqual(0);
      const t = tx.rows[ti]!;
      expect(t.card_id).toBe(r.card_id);
      expect(t.status).toBe('approved');
      const delay = reports.times[i]! - tx.times[ti]!;
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(FRAUD_REPORT_MAX_DELAY_MS);
    });
    expect(fraud.size).toBe(reports.rows.length);
  });

  it('plants the signals: fraud amounts are far above the card mean, at new merchants, after failed-login bursts', () => {
    const tx = shapes.transactions!;
    // Amount z-score against the card's legitimate transactions.
    const legit = new Map<string, number[]>();
    tx.rows.forEach((r, i) => {
      if (fraud.has(i)) return;
      const list = legit.get(r.card_id as string) ?? [];
      list.push(Number(r.amount));
      legit.set(r.card_id as string, list);
    });
    const z = [...fraud].map((i) => {
      const amounts = legit.get(tx.rows[i]!.card_id as string)!;
      return (Number(tx.rows[i]!.amount) - mean(amounts)) / std(amounts);
    });
    expect(mean(z)).toBeGreaterThan(4);
    expect(z.filter((x) => x > 3).length / z.length).toBeGreaterThan(0.7);

    // New merchant: the card had not used it before.
    const seen = new Set<string>();
    let fraudNew = 0;
    let legitNew = 0;
    tx.rows.forEach((r, i) => {
      const key = `${r.card_id}|${r.merchant_id}`;
      const isNew = !seen.has(key);
      seen.add(key);
      if (fraud.has(i)) fraudNew += isNew ? 1 : 0;
      else legitNew += isNew ? 1 : 0;
    });
    expect(fraudNew / fraud.size).toBeGreaterThan(0.8);
    expect(legitNew / (tx.rows.length - fraud.size)).toBeLessThan(0.2);

    // At least three failed logins of the user in the hour before.
    const logins = shapes.logins!;
    const failures = new Map<string, number[]>();
    logins.rows.forEach((r, i) => {
      if (r.success !== false) return;
      const list = failures.get(r.user_id as string) ?? [];
      list.push(logins.times[i]!);
      failures.set(r.user_id as string, list);
    });
    const burst = (i: number): boolean => {
      const f = failures.get(tx.rows[i]!.user_id as string) ?? [];
      const t = tx.times[i]!;
      return lowerBound(f, t) - lowerBound(f, t - 3_600_000) >= 3;
    };
    let fraudBurst = 0;
    let legitBurst = 0;
    for (let i = 0; i < tx.rows.length; i++) {
      if (!burst(i)) continue;
      if (fraud.has(i)) fraudBurst++;
      else legitBurst++;
    }
    expect(fraudBurst / fraud.size).toBeGreaterThan(0.4);
    expect(legitBurst / (tx.rows.length - fraud.size)).toBeLessThan(0.01);
  });
});
