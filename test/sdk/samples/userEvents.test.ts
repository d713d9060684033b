import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { checkDomain, generateInto, type SourceShape } from './helpers.js';

const WEEK = 7 * 86_400_000;

describe('user-event samples (default scale)', () => {
  let gen: Awaited<ReturnType<typeof generateInto>>;
  let shapes: Record<string, SourceShape>;

  beforeAll(async () => {
    gen = await generateInto('user_events');
    shapes = checkDomain(loadConfig('configs/user_events.yaml'), gen.dir, gen.files);
  });
  afterAll(() => gen?.cleanup());

  it('has the promised size and span, in time order, every row fitting configs/user_events.yaml', () => {
    const total = gen.files.reduce((n, f) => n + f.rows, 0);
    expect(total).toBeGreaterThan(100_000);
    expect(total).toBeLessThan(300_000);
    const clicks = shapes.clickstream!;
    expect(clicks.maxLateness).toBe(0);
    expect(shapes.transactions!.maxLateness).toBe(0);
    const span = clicks.times[clicks.times.length - 1]! - clicks.times[0]!;
    expect(span).toBeGreaterThan(7.8 * WEEK);
    expect(span).toBeLessThanOrEqual(8 * WEEK);
    expect(shapes.transactions!.rows.length).toBeGreaterThan(2000);
  });

  it('varies activity by user and covers every event type, page and device', () => {
    const clicks = shapes.clickstream!.rows;
    const perUser = new Map<string, number>();
    for (const r of clicks) perUser.set(r.user_id as string, (perUser.get(r.user_id as string) ?? 0) + 1);
    const counts = [...perUser.values()].sort((a, b) => a - b);
    const median = counts[counts.length >> 1]!;
    const p95 = counts[Math.floor(counts.length * 0.95)]!;
    expect(p95 / median).toBeGreaterThan(3);
    expect(new Set(clicks.map((r) => r.event))).toEqual(new Set(['page_view', 'search', 'add_to_cart', 'remove_from_cart', 'checkout']));
    expect(new Set(clicks.map((r) => r['attributes.page']))).toEqual(new Set(['/home', '/search', '/product', '/cart', '/checkout', '/account', '/help', '/bug']));
    expect(new Set(clicks.map((r) => r['attributes.device']))).toEqual(new Set(['mobile', 'desktop', 'tablet']));
  });

  it('plants the churn signal: after seeing /bug, no purchase in the next week is clearly likelier', () => {
    const clicks = shapes.clickstream!;
    const txns = shapes.transactions!;
    const start = clicks.times[0]!;
    const week = (t: number) => Math.floor((t - start) / WEEK);
    const active = new Set<string>();
    const bug = new Set<string>();
    const bought = new Set<string>();
    clicks.rows.forEach((r, i) => {
      const key = `${r.user_id}|${week(clicks.times[i]!)}`;
      active.add(key);
      if (r['attributes.page'] === '/bug') bug.add(key);
    });
    txns.rows.forEach((r, i) => bought.add(`${r.user_id}|${week(txns.times[i]!)}`));

    let all = 0;
    let allNoBuy = 0;
    let afterBug = 0;
    let afterBugNoBuy = 0;
    for (const key of active) {
      const [user, w] = key.split('|') as [string, string];
      if (Number(w) >= 7) continue; // week 8 has no next week in the data
      const noBuy = !bought.has(`${user}|${Number(w) + 1}`);
      all++;
      if (noBuy) allNoBuy++;
      if (bug.has(key)) {
        afterBug++;
        if (noBuy) afterBugNoBuy++;
      }
    }
    const overall = allNoBuy / all;
    const bugRate = afterBugNoBuy / afterBug;
    expect(afterBug).toBeGreaterThan(200);
    expect(bugRate).toBeGreaterThan(overall + 0.15);
    // The label is not trivial: plenty of users do not buy next week without any bug.
    expect(overall).toBeGreaterThan(0.4);
    expect(overall).toBeLessThan(0.9);
  });
});
