import { Dealer } from 'zeromq';

/** Key column → value, e.g. `{ card_id: 'c1', user_id: 'u9' }`. */
export type FeatureKey = Record<string, string | number>;

/** A latest vector: feature → value, null where there is none. */
export type FeatureVector = Record<string, number | null>;

/** The server's reply to one request, as sent (see src/actors/online/onlineFetcher.ts). */
export type OnlineReply =
  | { id?: string | number; values: FeatureVector; stale?: string[] }
  | { id?: string | number; results: { values: FeatureVector; stale?: string[] }[] }
  | { id?: string | number; error: string };

export interface OnlineFetchOptions {
  /** Epoch ms that max staleness is measured against (default: the server's clock). */
  now?: number;
}

export interface OnlineClientOptions {
  /** Fail a request that has no reply after this long, ms (default 5000). */
  timeoutMs?: number;
}

/** The server refused a request: a bad key column, an unknown feature (with a suggestion), ... */
export class OnlineFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnlineFetchError';
  }
}

interface Pending {
  resolve: (reply: OnlineReply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A client of Tributary's online fetch endpoint (`online: { zmq: ... }` in a config, served by
 * `tributary serve` or a live run). One DEALER socket; requests carry an id, so any number may be
 * in flight at once and replies are matched to them whatever their order.
 *
 * @example
 * import { OnlineClient } from './src/sdk/onlineClient.js';
 * const client = await OnlineClient.connect('tcp://127.0.0.1:5560');
 * const v = await client.fetch({ card_id: 'c1', user_id: 'u9' }, ['spend_30d', 'amount_z']);
 * v.spend_30d; // 120.5 (null when the card has no value)
 * const many = await client.fetch([{ card_id: 'c1' }, { card_id: 'c2' }], ['spend_30d']);
 * await client.close();
 */
export class OnlineClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** zeromq allows one pending send per socket: sends queue here. */
  private sending: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly receiving: Promise<void>;

  private constructor(
    private readonly socket: Dealer,
    readonly endpoint: string,
    private readonly timeoutMs: number,
  ) {
    this.receiving = this.receiveLoop();
  }

  /** Connect to a server's ZeroMQ endpoint (e.g. `tcp://127.0.0.1:5560`). */
  static async connect(endpoint: string, opts: OnlineClientOptions = {}): Promise<OnlineClient> {
    const socket = new Dealer({ linger: 0 });
    socket.connect(endpoint);
    return new OnlineClient(socket, endpoint, opts.timeoutMs ?? 5000);
  }

  /** The latest vector of one key (all its features when `features` is left out). @throws OnlineFetchError */
  fetch(keys: FeatureKey, features?: readonly string[], opts?: OnlineFetchOptions): Promise<FeatureVector>;
  /** The latest vectors of several keys, in order. @throws OnlineFetchError */
  fetch(keys: readonly FeatureKey[], features?: readonly string[], opts?: OnlineFetchOptions): Promise<FeatureVector[]>;
  async fetch(keys: FeatureKey | readonly FeatureKey[], features?: readonly string[], opts: OnlineFetchOptions = {}): Promise<FeatureVector | FeatureVector[]> {
    const reply = await this.request({ keys, ...(features && { features }), ...(opts.now !== undefined && { now: opts.now }) });
    if ('error' in reply) throw new OnlineFetchError(reply.error);
    return 'results' in reply ? reply.results.map((r) => r.values) : reply.values;
  }

  /** Send any request object and get the server's reply as is (with `stale`, or `error`). */
  request(body: Record<string, unknown>): Promise<OnlineReply> {
    if (this.closed) return Promise.reject(new Error('the online client is closed'));
    const id = this.nextId++;
    const text = JSON.stringify({ ...body, id });
    return new Promise<OnlineReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply from ${this.endpoint} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // An empty delimiter first, as a REQ socket sends: the server answers REQ and DEALER clients alike.
      this.sending = this.sending.then(() => this.socket.send(['', text])).catch((err: Error) => this.settle(id, undefined, err));
    });
  }

  /** Close the socket; requests still waiting fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    await this.receiving;
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error('the online client was closed'));
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const last = frames[frames.length - 1];
        if (last === undefined) continue;
        let reply: OnlineReply;
        try {
          reply = JSON.parse(last.toString('utf8')) as OnlineReply;
        } catch {
          continue;
        }
        let id = typeof reply.id === 'number' ? reply.id : undefined;
        // A reply to a request the server could not parse carries no id: it can only be the one in flight.
        if (id === undefined && this.pending.size === 1) id = this.pending.keys().next().value;
        if (id !== undefined) this.settle(id, reply);
      }
    } catch (err) {
      if (!this.closed) for (const id of [...this.pending.keys()]) this.settle(id, undefined, err as Error);
    }
  }

  private settle(id: number, reply: OnlineReply | undefined, err?: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (reply !== undefined) p.resolve(reply);
    else p.reject(err ?? new Error('request failed'));
  }
}
