import { Router } from 'zeromq';

/** What serves a request body: the online fetcher, or anything shaped like it. */
export interface RequestHandler {
  handle(body: string | Uint8Array): { status: number; body: string };
}

export interface ZmqEndpoint {
  /** The bound endpoint, with the real port when `tcp://host:*` was asked for. */
  readonly endpoint: string;
  /** Requests answered so far. */
  readonly served: number;
  /** The last reply that could not be sent, if any (the client had gone). */
  readonly lastSendError: unknown;
  close(): Promise<void>;
}

export interface ZmqEndpointOptions {
  /**
   * Messages larger than this are refused by libzmq itself, which drops the connection (default 16 MiB).
   * Keep it well above the fetcher's request limit, so that oversized requests still get an error reply.
   */
  hardMaxMessageBytes?: number;
}

/**
 * The online fetch endpoint over ZeroMQ: a ROUTER socket, so that any number of REQ or DEALER
 * clients can be served. Each request is one JSON message (after the client's envelope: the ROUTER's
 * identity frame and, from REQ clients, an empty delimiter); the reply goes back with the same
 * envelope. Requests are answered in arrival order, one at a time: a fetch is a few microseconds of
 * synchronous work, so a queue would only add latency. A bad request gets `{ "error": ... }`.
 *
 * @example
 * const ep = await serveZmq(fetcher, 'tcp://127.0.0.1:*');
 * // a client: new Request().connect(ep.endpoint); send('{"keys":{"card_id":"c1"}}')
 * await ep.close();
 */
export async function serveZmq(handler: RequestHandler, endpoint: string, opts: ZmqEndpointOptions = {}): Promise<ZmqEndpoint> {
  const router = new Router({ linger: 0, maxMessageSize: opts.hardMaxMessageBytes ?? 16 << 20 });
  try {
    await router.bind(endpoint);
  } catch (err) {
    router.close();
    throw new Error(`cannot bind the online ZeroMQ endpoint ${endpoint}: ${(err as Error).message}`);
  }
  const bound = router.lastEndpoint ?? endpoint;
  let served = 0;
  let closing = false;
  let lastSendError: unknown;
  const loop = (async () => {
    try {
      for await (const frames of router) {
        // [identity, (empty delimiter,) payload]; anything shorter is not a request.
        if (frames.length < 2) continue;
        const envelope = frames.slice(0, -1);
        const reply = handler.handle(frames[frames.length - 1]!);
        try {
          await router.send([...envelope, reply.body]);
          served++;
        } catch (err) {
          // A client that went away cannot be answered; the others still can.
          if (closing) break;
          lastSendError = err;
        }
      }
    } catch (err) {
      if (!closing) throw err;
    }
  })();
  // A failure of the loop (not a closing socket) must not go unhandled; it is rethrown by close().
  let failure: unknown;
  loop.catch((err: unknown) => {
    failure = err;
  });
  return {
    endpoint: bound,
    get served() {
      return served;
    },
    get lastSendError() {
      return lastSendError;
    },
    async close() {
      closing = true;
      router.close();
      await loop.catch(() => undefined);
      if (failure !== undefined) throw failure;
    },
  };
}
