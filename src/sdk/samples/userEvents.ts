import { join } from 'node:path';
import { iso, type OrderedFile, SampleOutput } from './output.js';
import { Rng, WeightedPicker } from './random.js';

/**
 * User-event samples (the Drifto domain): a web shop's clickstream and its transactions, over eight
 * weeks, for about 2,000 users at scale 1 (scale multiplies the number of users).
 *
 * The model behind the data:
 * - users differ a lot in activity (sessions a day are log-normal, a few users do most of the
 *   traffic), in device, in favourite product categories and in how readily they buy; some sign up
 *   during the period, and a few leave for good at random;
 * - a session is a walk over pages (/home, /search, /product, /cart, /checkout, /account, /help) with
 *   page_view, search, add_to_cart, remove_from_cart and checkout events, seconds to minutes apart; a
 *   checkout with a non-empty cart usually becomes one row in `transactions.csv`;
 * - now and then a page view lands on `/bug`, a broken page. **A user who sees /bug is much less likely
 *   to buy in the following period**: many leave for good, and the rest come back less and buy far
 *   less for two weeks. That is the planted churn signal ("no purchase in the next period").
 *
 * All events are written in event-time order: the sources have no lateness.
 *
 * Files (timestamps ISO-8601 UTC with milliseconds):
 * - `clickstream.jsonl`: {"ts","user_id","session_id","event","attributes":{"page","device"}}
 * - `transactions.csv`: ts,user_id,amount,product_category
 */

export const USER_EVENTS_DAYS = 56;
export const USER_EVENTS_USERS = 2000;

export const USER_EVENTS_FILES = { clickstream: 'clickstream.jsonl', transactions: 'transactions.csv' } as const;

const DAY = 86_400_000;

const DEVICES = new WeightedPicker(['mobile', 'desktop', 'tablet'], [0.55, 0.35, 0.1]);

const CATEGORIES = ['electronics', 'books', 'clothing', 'home', 'grocery', 'toys', 'beauty', 'sports'] as const;
/** Median item price per category, dollars. */
const PRICE = [120, 15, 35, 45, 25, 25, 20, 40];

type Page = '/home' | '/search' | '/product' | '/cart' | '/checkout' | '/account' | '/help' | '/bug' | 'end';

/** Where a visitor goes next from each page (before the /bug detour); 'end' ends the session. */
const NEXT: Record<Exclude<Page, 'end' | '/bug'>, WeightedPicker<Page>> = {
  '/home': new WeightedPicker<Page>(['/search', '/product', '/account', '/help', '/cart', 'end'], [0.3, 0.35, 0.07, 0.03, 0.05, 0.2]),
  '/search': new WeightedPicker<Page>(['/product', '/search', '/home', 'end'], [0.6, 0.15, 0.05, 0.2]),
  '/product': new WeightedPicker<Page>(['/product', '/cart', '/search', '/home', 'end'], [0.35, 0.2, 0.15, 0.08, 0.22]),
  '/cart': new WeightedPicker<Page>(['/checkout', '/product', '/home', 'end'], [0.5, 0.2, 0.05, 0.25]),
  '/checkout': new WeightedPicker<Page>(['/home', 'end'], [0.2, 0.8]),
  '/account': new WeightedPicker<Page>(['/home', 'end'], [0.4, 0.6]),
  '/help': new WeightedPicker<Page>(['/home', 'end'], [0.4, 0.6]),
};
/** The same walk for a visitor who came to shop: to the cart and through checkout far more often. */
const SHOPPING_NEXT: Record<Exclude<Page, 'end' | '/bug'>, WeightedPicker<Page>> = {
  ...NEXT,
  '/product': new WeightedPicker<Page>(['/product', '/cart', '/search', 'end'], [0.35, 0.45, 0.12, 0.08]),
  '/cart': new WeightedPicker<Page>(['/checkout', '/product', 'end'], [0.8, 0.12, 0.08]),
};
/** Chance that a session is a shopping trip. */
const SHOPPING = 0.5;
const FIRST_PAGE = new WeightedPicker<Page>(['/home', '/search', '/product'], [0.6, 0.25, 0.15]);

/** Chance that a page view hits the broken page instead of where the user was going. */
const BUG_RATE = 0.006;
/** After /bug: chance the user never returns; otherwise the dampened period. */
const BUG_LEAVE = 0.45;
const BUG_DAMPEN_MS = 14 * DAY;
/** Chance a session is the user's last, for no visible reason. */
const QUIET_CHURN = 0.004;
/** Relative traffic by hour of day (UTC): quiet nights, busy evenings. */
const HOURLY = [0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.95, 0.9, 0.85, 0.85, 0.9, 0.95, 1, 1, 1, 0.9, 0.7, 0.5];

interface User {
  id: string;
  rng: Rng;
  /** Sessions a day, when active and undisturbed. */
  rate: number;
  device: string;
  categories: WeightedPicker<number>;
  /** Chance a checkout with items turns into a purchase. */
  buy: number;
  /** Until then, the user comes back less and buys less (after /bug). */
  dampenedUntil: number;
  gone: boolean;
  sessions: number;
}

/**
 * Write `clickstream.jsonl` and `transactions.csv` into `outDir` (which must exist).
 *
 * @example
 * await generateUserEvents('data/samples/user_events', { seed: 1, scale: 1, start: Date.UTC(2024, 0, 1) });
 */
export async function generateUserEvents(
  outDir: string,
  opts: { seed: number; scale: number; start: number; onProgress?: (rows: number) => void },
): Promise<{ path: string; rows: number }[]> {
  const rng = new Rng(opts.seed);
  const start = opts.start;
  const end = start + USER_EVENTS_DAYS * DAY;
  const out = await SampleOutput.open(
    [{ path: join(outDir, USER_EVENTS_FILES.clickstream) }, { path: join(outDir, USER_EVENTS_FILES.transactions), header: 'ts,user_id,amount,product_category' }],
    opts.onProgress,
  );
  const [clicks, txns] = out.files as [OrderedFile, OrderedFile];
  try {
    const nUsers = Math.max(1, Math.round(USER_EVENTS_USERS * opts.scale));
    const users: User[] = [];
    // The queue of next session starts: a min-heap of [time, user index], so sessions are simulated in
    // time order and each file can be released up to the next session's start.
    const queue = new SessionQueue();
    for (let i = 0; i < nUsers; i++) {
      const r = rng.fork(i);
      const affinity = CATEGORIES.map(() => r.exponential(1) ** 2);
      const u: User = {
        id: `u${String(i + 1).padStart(5, '0')}`,
        rng: r,
        rate: Math.min(6, r.lognormal(0.4, 0.9)),
        device: DEVICES.pick(r),
        categories: new WeightedPicker(CATEGORIES.map((_, k) => k), affinity),
        buy: Math.min(0.95, Math.max(0.05, r.normal(0.7, 0.2))),
        dampenedUntil: -Infinity,
        gone: false,
        sessions: 0,
      };
      users.push(u);
      // 70% are customers already; the rest sign up during the first six weeks.
      const joined = r.chance(0.7) ? start : start + r.uniform(0, 42) * DAY;
      queue.push(nextSessionStart(u, joined), i);
    }

    let sessionSeq = 0;
    while (queue.size > 0) {
      const [t, i] = queue.pop();
      if (t >= end) continue;
      await out.release(Math.floor(t));
      const u = users[i]!;
      const sessionEnd = runSession(u, t, end, `s${String(++sessionSeq).padStart(7, '0')}`, clicks, txns);
      if (u.gone) continue;
      queue.push(nextSessionStart(u, sessionEnd), i);
    }
    return await out.finish();
  } catch (err) {
    await out.close().catch(() => undefined);
    throw err;
  }
}

/** Simulate one session from `t`; returns the time of its last event. */
function runSession(u: User, t: number, end: number, sessionId: string, clicks: OrderedFile, txns: OrderedFile): number {
  const r = u.rng;
  u.sessions++;
  // Mostly the usual device, sometimes another one.
  const device = r.chance(0.85) ? u.device : DEVICES.pick(r);
  const dampened = t < u.dampenedUntil;
  const shopping = r.chance(dampened ? SHOPPING * 0.3 : SHOPPING);
  const next = shopping ? SHOPPING_NEXT : NEXT;
  const cart: { category: number; price: number }[] = [];
  let page: Page = FIRST_PAGE.pick(r);
  let ts = Math.floor(t);
  let sawBug = false;
  const emit = (event: string, p: Page): void => {
    if (ts >= end) return;
    clicks.push(ts, `{"ts":"${iso(ts)}","user_id":"${u.id}","session_id":"${sessionId}","event":"${event}","attributes":{"page":"${p}","device":"${device}"}}`);
  };
  const later = (meanSeconds: number): void => {
    ts += 1000 + Math.floor(r.exponential(1 / meanSeconds) * 1000);
  };

  for (let steps = 0; steps < 40 && page !== 'end'; steps++) {
    if (page !== '/bug' && r.chance(BUG_RATE)) page = '/bug';
    emit('page_view', page);
    later(20);
    switch (page) {
      case '/bug':
        sawBug = true;
        page = r.chance(0.7) ? 'end' : '/home';
        continue;
      case '/search':
        emit('search', page);
        later(15);
        break;
      case '/product':
        if (r.chance(shopping ? 0.75 : 0.15)) {
          const category = u.categories.pick(r);
          cart.push({ category, price: Math.round(r.lognormal(PRICE[category]!, 0.5) * 100) / 100 });
          emit('add_to_cart', page);
          later(10);
        }
        break;
      case '/cart':
        if (cart.length > 0 && r.chance(0.15)) {
          cart.pop();
          emit('remove_from_cart', page);
          later(10);
        }
        break;
      case '/checkout':
        if (cart.length > 0) {
          emit('checkout', page);
          later(30);
          // Seeing the broken page in this session, or lately, makes a purchase far less likely.
          const willing = sawBug || dampened ? u.buy * 0.15 : u.buy;
          if (r.chance(willing)) {
            // One row per order: its total, filed under the category of its dearest item.
            const total = cart.reduce((s, it) => s + it.price, 0);
            const main = cart.reduce((a, b) => (b.price > a.price ? b : a));
            if (ts < end) txns.push(ts, `${iso(ts)},${u.id},${total.toFixed(2)},${CATEGORIES[main.category]}`);
            cart.length = 0;
          }
        }
        break;
      default:
        break;
    }
    page = next[page].pick(r);
    // Nobody goes to checkout with an empty cart.
    if (page === '/checkout' && cart.length === 0) page = r.chance(0.6) ? '/product' : 'end';
  }

  if (sawBug) {
    if (r.chance(BUG_LEAVE)) u.gone = true;
    else u.dampenedUntil = ts + BUG_DAMPEN_MS;
  }
  if (r.chance(QUIET_CHURN)) u.gone = true;
  return ts;
}

/** When the next session starts after `from`: a Poisson process thinned by the hour of day. */
function nextSessionStart(u: User, from: number): number {
  const r = u.rng;
  const rate = (from < u.dampenedUntil ? u.rate * 0.4 : u.rate) / DAY;
  let t = from;
  for (;;) {
    t += r.exponential(rate);
    const hour = Math.floor((t % DAY) / 3_600_000);
    if (r.chance(HOURLY[hour]!)) return t;
  }
}

/** A binary min-heap of (time, user index); ties go to the lower index so the order is reproducible. */
class SessionQueue {
  private readonly t: number[] = [];
  private readonly u: number[] = [];

  get size(): number {
    return this.t.length;
  }

  push(time: number, user: number): void {
    let i = this.t.length;
    this.t.push(time);
    this.u.push(user);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(time, user, this.t[p]!, this.u[p]!)) break;
      this.t[i] = this.t[p]!;
      this.u[i] = this.u[p]!;
      i = p;
    }
    this.t[i] = time;
    this.u[i] = user;
  }

  pop(): [number, number] {
    const top: [number, number] = [this.t[0]!, this.u[0]!];
    const lt = this.t.pop()!;
    const lu = this.u.pop()!;
    const n = this.t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(this.t[r]!, this.u[r]!, this.t[l]!, this.u[l]!) ? r : l;
        if (!this.less(this.t[c]!, this.u[c]!, lt, lu)) break;
        this.t[i] = this.t[c]!;
        this.u[i] = this.u[c]!;
        i = c;
      }
      this.t[i] = lt;
      this.u[i] = lu;
    }
    return top;
  }

  private less(t1: number, u1: number, t2: number, u2: number): boolean {
    return t1 < t2 || (t1 === t2 && u1 < u2);
  }
}
