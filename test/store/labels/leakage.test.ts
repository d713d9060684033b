import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { buildSets } from '../../../src/store/labels/buildSets.js';
import { tempDir } from '../../helpers/tables.js';
import { numberAt } from './helpers.js';

/**
 * No leakage, shown on planted data run through the real path (import → replay → Arrow files →
 * labeler). Every event carries a distinct power of two (its "bit"), and features and labels are
 * sums of them, so each value says exactly which events it saw. Events are planted at exactly the
 * spine rows' times, one millisecond either side, and at exactly the end of the label window.
 *
 * - a feature may only hold bits of events strictly before its row's time;
 * - a label may only hold bits of events in (t, t + 10 s].
 * Both are checked bit by bit, and against the naive as-of value.
 */

const H = 10_000;
type Ev = { user: string; t: number };
// Orders: the spine. Two at exactly 1000 for user a (a tie), one later; one for user b.
const ORDERS: Ev[] = [
  { user: 'a', t: 1000 },
  { user: 'a', t: 1000 },
  { user: 'b', t: 3000 },
  { user: 'a', t: 5000 },
  { user: 'a', t: 6000 },
  { user: 'c', t: 20_000 },
];
// Clicks: at exactly each order time, 1 ms either side, at exactly t + H, and 1 ms after it.
const CLICKS: Ev[] = [
  { user: 'a', t: 999 },
  { user: 'a', t: 1000 },
  { user: 'a', t: 1001 },
  { user: 'b', t: 2999 },
  { user: 'b', t: 3000 },
  { user: 'a', t: 5000 },
  { user: 'a', t: 5999 },
  { user: 'a', t: 6000 },
  { user: 'a', t: 11_000 },
  { user: 'a', t: 11_001 },
  { user: 'b', t: 13_000 },
  { user: 'b', t: 13_001 },
  { user: 'a', t: 15_000 },
  { user: 'a', t: 16_000 },
  { user: 'a', t: 16_001 },
  { user: 'b', t: 30_000 },
  // User c clicks only at exactly its order's time: its event_within label must be 0.
  { user: 'c', t: 20_000 },
  { user: 'b', t: 40_000 },
];
const orderBit = (i: number) => 2 ** i;
const clickBit = (i: number) => 2 ** (10 + i);

const tmp = tempDir('tributary-leak-');
let set: Table;
let setWithEventWithin: Table;

beforeAll(async () => {
  writeFileSync(join(tmp.dir, 'orders.csv'), ['t,user,amount', ...ORDERS.map((o, i) => `${o.t},${o.user},${orderBit(i)}`)].join('\n'));
  writeFileSync(join(tmp.dir, 'clicks.csv'), ['t,user,weight', ...CLICKS.map((c, i) => `${c.t},${c.user},${clickBit(i)}`)].join('\n'));
  writeFileSync(
    join(tmp.dir, 'leak.yaml'),
    `name: leak
data_dir: data
sources:
  orders: { path: orders.csv, time: t, time_format: epoch_ms, keys: [user], columns: { user: string, amount: float64 } }
  clicks: { path: clicks.csv, time: t, time_format: epoch_ms, keys: [user], columns: { user: string, weight: float64 } }
features:
  # The spine's own features: every earlier order (ties at t excluded), and an inclusive window (read as of, strictly before).
  - { name: order_bits, source: orders, op: sum, column: amount, default: 0 }
  - { name: order_bits_incl, source: orders, op: sum, column: amount, window: { sliding: 1h, inclusive: true }, default: 0 }
  # Another source's features, joined as of: the bits of the clicks before the last click before t, and that click's own bit.
  - { name: click_bits, source: clicks, op: sum, column: weight, default: 0 }
  - { name: click_weight, expr: "weight + 0 * click_bits" }
labels:
  - { name: clicks_ahead, source: clicks, op: sum, column: weight, horizon: 10s, default: 0 }
  - { name: any_click, source: clicks, kind: event_within, horizon: 10s }
sets:
  - { name: s, spine: orders, features: [order_bits, order_bits_incl, click_bits, click_weight], label: clicks_ahead }
  - { name: w, spine: orders, features: [order_bits], label: any_click }
`,
  );
  const config = loadConfig(join(tmp.dir, 'leak.yaml'));
  const r = await buildSets(config);
  const file = (n: string) => r.sets.find((s) => s.name === n)!.file;
  set = tableFromIPC(readFileSync(file('s')));
  setWithEventWithin = tableFromIPC(readFileSync(file('w')));
});
afterAll(() => tmp.remove());

/** Indices of the set bits of a sum of distinct powers of two. */
function bits(x: number, offset: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (Math.floor(x / 2 ** (offset + i)) % 2 === 1) out.push(i);
  return out;
}

describe('no leakage, on planted events at exactly the row times', () => {
  it('keeps the rows whose 10 s window ends by the last click, in time order', () => {
    // Last click at 40000: every order's window (t, t + 10 s] ends before it.
    expect(set.numRows).toBe(ORDERS.length);
    const times = Array.from({ length: set.numRows }, (_, i) => numberAt(set.getChild('t'), i)!);
    expect(times).toEqual(ORDERS.map((o) => o.t));
  });

  it('features see only events strictly before the row: bit by bit, and equal to the naive as-of value', () => {
    for (let i = 0; i < set.numRows; i++) {
      const t = numberAt(set.getChild('t'), i)!;
      const user = set.getChild('user')!.get(i) as string;
      // Spine's own feature: the orders of this user strictly before t (the tie at 1000 sees neither).
      const own = bits(numberAt(set.getChild('order_bits'), i)!, 0, ORDERS.length);
      for (const j of own) expect(ORDERS[j]!.t, `order_bits of row ${i} holds an order at ${ORDERS[j]!.t}`).toBeLessThan(t);
      expect(own).toEqual(ORDERS.flatMap((o, j) => (o.user === user && o.t < t ? [j] : [])));
      // Inclusive window: read as of the last order strictly before t (it includes that order's own ties).
      const incl = numberAt(set.getChild('order_bits_incl'), i);
      const prior = ORDERS.filter((o) => o.user === user && o.t < t).map((o) => o.t);
      if (prior.length === 0) expect(incl).toBeNull();
      else {
        const tp = Math.max(...prior);
        const seen = bits(incl!, 0, ORDERS.length);
        for (const j of seen) expect(ORDERS[j]!.t).toBeLessThan(t);
        expect(seen).toEqual(ORDERS.flatMap((o, j) => (o.user === user && o.t <= tp ? [j] : [])));
      }
      // Joined from clicks: c* is the last click of the user strictly before t.
      const before = CLICKS.map((c, j) => ({ ...c, j })).filter((c) => c.user === user && c.t < t);
      const star = before.at(-1);
      const cb = numberAt(set.getChild('click_bits'), i);
      const cw = numberAt(set.getChild('click_weight'), i);
      if (star === undefined) {
        expect(cb).toBeNull();
        expect(cw).toBeNull();
        continue;
      }
      for (const j of bits(cb!, 10, CLICKS.length)) expect(CLICKS[j]!.t, `click_bits of row ${i} holds a click at ${CLICKS[j]!.t}`).toBeLessThan(t);
      expect(bits(cb!, 10, CLICKS.length)).toEqual(CLICKS.flatMap((c, j) => (c.user === user && c.t < star.t ? [j] : [])));
      expect(bits(cw!, 10, CLICKS.length)).toEqual([star.j]);
    }
  });

  it('labels see only events in (t, t + 10 s]: none at t, the one at exactly t + 10 s, none after', () => {
    for (let i = 0; i < set.numRows; i++) {
      const t = numberAt(set.getChild('t'), i)!;
      const user = set.getChild('user')!.get(i) as string;
      const seen = bits(numberAt(set.getChild('clicks_ahead'), i)!, 10, CLICKS.length);
      for (const j of seen) {
        expect(CLICKS[j]!.t, `label of row ${i} (t=${t}) holds a click at ${CLICKS[j]!.t}`).toBeGreaterThan(t);
        expect(CLICKS[j]!.t).toBeLessThanOrEqual(t + H);
      }
      expect(seen).toEqual(CLICKS.flatMap((c, j) => (c.user === user && c.t > t && c.t <= t + H ? [j] : [])));
    }
    // The planted edges really are there: a click at exactly t and one at exactly t + 10 s for row 0.
    expect(CLICKS.some((c) => c.user === 'a' && c.t === 1000)).toBe(true);
    expect(CLICKS.some((c) => c.user === 'a' && c.t === 11_000)).toBe(true);
  });

  it('event_within: an event at exactly t does not count, one in the window does', () => {
    const label = (i: number) => numberAt(setWithEventWithin.getChild('any_click'), i);
    // Every order has a click at exactly its time; whether it is 1 depends on (t, t + 10 s] alone.
    const labels = Array.from({ length: setWithEventWithin.numRows }, (_, i) => label(i));
    expect(labels).toContain(0);
    expect(labels).toContain(1);
    for (let i = 0; i < setWithEventWithin.numRows; i++) {
      const t = numberAt(setWithEventWithin.getChild('t'), i)!;
      const user = setWithEventWithin.getChild('user')!.get(i) as string;
      expect(label(i)).toBe(CLICKS.some((c) => c.user === user && c.t > t && c.t <= t + H) ? 1 : 0);
    }
  });
});
