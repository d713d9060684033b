import { join } from 'node:path';
import { iso, type OrderedFile, SampleOutput } from './output.js';
import { Rng, WeightedPicker } from './random.js';

/**
 * Payments samples (the Chalk / Chronon fraud domain): card transactions, logins and fraud reports
 * over 120 days, for about 700 users and 840 cards at scale 1 (scale multiplies users, cards and
 * merchants).
 *
 * The model behind the data:
 * - each card has a spending level, a habit rate (log-normal, about one purchase a day), and a set of
 *   favourite merchants it uses almost always; amounts are log-normal around the merchant bucket's
 *   typical ticket (grocery ~$45, travel ~$350, ...) times the card's level; purchases happen by day;
 * - users log in now and then from their home or mobile IP; a few typos fail; once in a while a user
 *   forgets a password and fails several times in a row (a benign burst, so bursts alone are not proof);
 * - fraud comes in episodes. Three in four are account takeovers: **a burst of failed logins from an
 *   attacker's IP, then a successful one, then 1-5 purchases within the hour at merchants the card has
 *   never used (mostly electronics, digital goods, travel), for amounts far above the card's usual
 *   (typically 10-20 times its median, a z-score of 5 or more)**. The rest are stolen card numbers:
 *   the same kind of purchases, with no login signal;
 * - `fraud_reports.csv` holds one row for ~95% of the approved fraudulent transactions, between 2 hours
 *   and 7 days after it, as the cardholder notices. Reports that would fall after the end of the period
 *   are not in the file (they have not happened yet), like a real label lag.
 *
 * All three files are written in event-time order: the sources have no lateness.
 *
 * Files (timestamps ISO-8601 UTC with milliseconds):
 * - `transactions.csv`: ts,txn_id,card_id,user_id,merchant_id,merchant_bucket,amount,ip,status
 * - `logins.jsonl`: {"ts","user_id","ip","success"}
 * - `fraud_reports.csv`: ts,card_id,txn_id
 */

export const PAYMENTS_DAYS = 120;
export const PAYMENTS_USERS = 700;
/** Fraud reports come at most this long after the transaction. */
export const FRAUD_REPORT_MAX_DELAY_MS = 7 * 86_400_000;

export const PAYMENTS_FILES = { transactions: 'transactions.csv', logins: 'logins.jsonl', reports: 'fraud_reports.csv' } as const;

const DAY = 86_400_000;
const MINUTE = 60_000;

const BUCKETS = ['grocery', 'restaurants', 'gas', 'retail', 'electronics', 'travel', 'entertainment', 'digital_goods', 'pharmacy'] as const;
type Bucket = (typeof BUCKETS)[number];
/** Share of merchants and typical ticket (median dollars) per bucket. */
const BUCKET_SHARE = [0.22, 0.2, 0.08, 0.15, 0.07, 0.05, 0.09, 0.07, 0.07];
const BUCKET_TICKET: Record<Bucket, number> = {
  grocery: 45,
  restaurants: 30,
  gas: 40,
  retail: 55,
  electronics: 160,
  travel: 320,
  entertainment: 35,
  digital_goods: 15,
  pharmacy: 25,
};
/** Where fraudsters spend: resellable goods and things bought online. */
const FRAUD_BUCKETS = new WeightedPicker<Bucket>(['electronics', 'digital_goods', 'travel', 'retail'], [0.45, 0.25, 0.2, 0.1]);

/** Relative purchase activity by hour (UTC) for cardholders; fraud ignores it. */
const HOURLY = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1, 1, 1, 1, 0.95, 0.9, 0.9, 1, 1, 0.95, 0.8, 0.6, 0.4, 0.2];
const HOURLY_PICK = new WeightedPicker(HOURLY.map((_, h) => h), HOURLY);

/** Fraud episodes per card over the whole period. */
const EPISODES_PER_CARD = 0.3;
const TAKEOVER_SHARE = 0.75;

interface Merchant {
  id: string;
  bucket: Bucket;
}

interface User {
  id: string;
  homeIp: string;
  mobileIp: string;
  /** Logins a day. */
  loginRate: number;
}

interface Card {
  id: string;
  user: User;
  level: number;
  rate: number;
  favourites: WeightedPicker<number>;
  favouriteSet: Set<number>;
}

/**
 * Write `transactions.csv`, `logins.jsonl` and `fraud_reports.csv` into `outDir` (which must exist).
 *
 * @example
 * await generatePayments('data/samples/payments', { seed: 1, scale: 1, start: Date.UTC(2024, 0, 1) });
 */
export async function generatePayments(
  outDir: string,
  opts: { seed: number; scale: number; start: number; onProgress?: (rows: number) => void },
): Promise<{ path: string; rows: number }[]> {
  const rng = new Rng(opts.seed);
  const start = opts.start;
  const end = start + PAYMENTS_DAYS * DAY;
  const out = await SampleOutput.open(
    [
      { path: join(outDir, PAYMENTS_FILES.transactions), header: 'ts,txn_id,card_id,user_id,merchant_id,merchant_bucket,amount,ip,status' },
      { path: join(outDir, PAYMENTS_FILES.logins) },
      { path: join(outDir, PAYMENTS_FILES.reports), header: 'ts,card_id,txn_id' },
    ],
    opts.onProgress,
  );
  const [txns, logins, reports] = out.files as [OrderedFile, OrderedFile, OrderedFile];
  try {
    const world = buildWorld(rng.fork(0), opts.scale);
    const r = rng.fork(1);
    const attackerIps = Array.from({ length: Math.max(10, Math.round(40 * Math.sqrt(opts.scale))) }, () => ip(r, true));

    // Fraud episodes are drawn up front, each on a card with at least ten days of history behind it.
    const episodes: { t: number; card: Card; takeover: boolean }[] = [];
    const nEpisodes = Math.round(world.cards.length * EPISODES_PER_CARD);
    for (let i = 0; i < nEpisodes; i++) {
      episodes.push({ t: start + r.uniform(10, PAYMENTS_DAYS - 0.5) * DAY, card: r.pick(world.cards), takeover: r.chance(TAKEOVER_SHARE) });
    }
    episodes.sort((a, b) => a.t - b.t);
    let nextEpisode = 0;

    const emitTxn = (ts: number, card: Card, m: Merchant, amount: number, ipAddr: string, approved: boolean): string => {
      const id = `tx_${r.hex(12)}`;
      // An episode or a retry chain can run past the end of the period: such events did not happen yet.
      if (ts < end) txns.push(ts, `${iso(ts)},${id},${card.id},${card.user.id},${m.id},${m.bucket},${amount.toFixed(2)},${ipAddr},${approved ? 'approved' : 'declined'}`);
      return id;
    };
    const emitLogin = (ts: number, user: User, ipAddr: string, success: boolean): void => {
      if (ts < end) logins.push(ts, `{"ts":"${iso(ts)}","user_id":"${user.id}","ip":"${ipAddr}","success":${success}}`);
    };

    // Day by day: every event generated for day d starts in day d (an episode may run past midnight),
    // so after day d everything before the next midnight can be written.
    for (let day = 0; day < PAYMENTS_DAYS; day++) {
      const dayStart = start + day * DAY;
      const at = (): number => dayStart + HOURLY_PICK.pickIndex(r) * 3_600_000 + r.int(0, 3_600_000);

      for (const card of world.cards) {
        const n = r.poisson(card.rate);
        for (let i = 0; i < n; i++) {
          // Mostly a favourite merchant; sometimes somewhere new.
          const mi = r.chance(0.9) ? card.favourites.pick(r) : r.int(0, world.merchants.length);
          const m = world.merchants[mi]!;
          const amount = Math.max(1, r.lognormal(BUCKET_TICKET[m.bucket] * card.level, 0.55));
          const approved = !r.chance(amount > 5 * 50 * card.level ? 0.08 : 0.015);
          const ts = at();
          emitTxn(ts, card, m, amount, r.chance(0.8) ? card.user.homeIp : card.user.mobileIp, approved);
        }
      }

      for (const user of world.users) {
        const n = r.poisson(user.loginRate);
        for (let i = 0; i < n; i++) {
          let ts = at();
          const ipAddr = r.chance(0.6) ? user.homeIp : user.mobileIp;
          // A typo now and then, fixed within a minute.
          while (r.chance(0.04)) {
            emitLogin(ts, user, ipAddr, false);
            ts += r.int(4000, 60_000);
          }
          emitLogin(ts, user, ipAddr, true);
        }
        // Rarely, a forgotten password: a benign burst of failures, then (usually) a reset and success.
        if (r.chance(1 / 60)) {
          let ts = at();
          const ipAddr = user.homeIp;
          for (let k = r.int(3, 8); k > 0; k--) {
            emitLogin(ts, user, ipAddr, false);
            ts += r.int(10_000, 120_000);
          }
          if (r.chance(0.7)) emitLogin(ts + r.int(2, 15) * MINUTE, user, ipAddr, true);
        }
      }

      while (nextEpisode < episodes.length && episodes[nextEpisode]!.t < dayStart + DAY) {
        const ep = episodes[nextEpisode++]!;
        const { card } = ep;
        let ts = Math.floor(ep.t);
        const attackerIp = r.pick(attackerIps);
        if (ep.takeover) {
          // Credential stuffing: failures seconds apart, then the attacker gets in.
          for (let k = r.int(4, 15); k > 0; k--) {
            emitLogin(ts, card.user, attackerIp, false);
            ts += r.int(5_000, 90_000);
          }
          emitLogin(ts, card.user, attackerIp, true);
        }
        ts += r.int(2, 60) * MINUTE;
        const n = 1 + Math.min(4, r.poisson(1.2));
        for (let k = 0; k < n; k++) {
          const m = newMerchant(r, world, card, FRAUD_BUCKETS.pick(r));
          const amount = 50 * card.level * r.lognormal(14, 0.35);
          // The issuer's rules catch some, more so as the spree goes on.
          const approved = !r.chance(0.12 + 0.12 * k);
          const id = emitTxn(ts, card, m, amount, ep.takeover ? attackerIp : ip(r, true), approved);
          if (approved && r.chance(0.95)) {
            const reported = ts + r.int(2 * 3_600_000, FRAUD_REPORT_MAX_DELAY_MS - 3_600_000);
            if (reported < end) reports.push(reported, `${iso(reported)},${card.id},${id}`);
          }
          ts += r.int(1, 25) * MINUTE;
        }
      }

      await out.release(dayStart + DAY);
    }
    return await out.finish();
  } catch (err) {
    await out.close().catch(() => undefined);
    throw err;
  }
}

function buildWorld(r: Rng, scale: number): { users: User[]; cards: Card[]; merchants: Merchant[] } {
  const bucketPick = new WeightedPicker(BUCKETS, BUCKET_SHARE);
  const nMerchants = Math.max(60, Math.round(400 * scale));
  const merchants: Merchant[] = Array.from({ length: nMerchants }, (_, i) => ({ id: `m${String(i + 1).padStart(5, '0')}`, bucket: bucketPick.pick(r) }));
  // Popularity is Zipf-like: a few chains take much of the traffic.
  const popularity = new WeightedPicker(
    merchants.map((_, i) => i),
    merchants.map((_, i) => 1 / (i + 1) ** 0.8),
  );

  const users: User[] = [];
  const cards: Card[] = [];
  const nUsers = Math.max(1, Math.round(PAYMENTS_USERS * scale));
  for (let i = 0; i < nUsers; i++) {
    const user: User = { id: `u${String(i + 1).padStart(5, '0')}`, homeIp: ip(r, false), mobileIp: ip(r, false), loginRate: Math.min(5, r.lognormal(0.5, 0.7)) };
    users.push(user);
    const nCards = r.chance(0.2) ? 2 : 1;
    for (let c = 0; c < nCards; c++) {
      const favourites = new Set<number>();
      for (let k = r.int(6, 20); k > 0; k--) favourites.add(popularity.pickIndex(r));
      const favs = [...favourites];
      cards.push({
        id: `c${String(cards.length + 1).padStart(6, '0')}`,
        user,
        level: r.lognormal(1, 0.4),
        rate: Math.min(6, r.lognormal(1, 0.6)),
        favourites: new WeightedPicker(favs, favs.map(() => r.exponential(1))),
        favouriteSet: favourites,
      });
    }
  }
  return { users, cards, merchants };
}

/** A merchant in the bucket that the card has never used (or any merchant, if the bucket has none). */
function newMerchant(r: Rng, world: { merchants: Merchant[] }, card: Card, bucket: Bucket): Merchant {
  for (let tries = 0; tries < 200; tries++) {
    const i = r.int(0, world.merchants.length);
    const m = world.merchants[i]!;
    if (m.bucket === bucket && !card.favouriteSet.has(i)) return m;
  }
  return world.merchants[r.int(0, world.merchants.length)]!;
}

/** A plausible public IPv4 address; attackers come from a few hosting ranges. */
function ip(r: Rng, attacker: boolean): string {
  const first = attacker ? r.pick([45, 91, 185, 193]) : r.pick([24, 50, 67, 73, 98, 108, 174]);
  return `${first}.${r.int(0, 256)}.${r.int(0, 256)}.${r.int(1, 255)}`;
}
