import { context as globalContext, Reply, type Context } from 'zeromq';
import { CURVE_ZAP_DOMAIN, z85Encode } from './curve.js';

/** Where libzmq sends ZAP requests (RFC 27): an inproc endpoint, so in the server socket's own context. */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** Why a connecting peer was refused, and who it was. */
export interface ZapRejection {
  /** The peer's IP address, as libzmq reports it. */
  address: string;
  domain: string;
  mechanism: string;
  /** The client public key (Z85), when the request carried a well-formed one. */
  clientKey?: string;
  /** RFC 27 status: 400 refused, 500 the request itself was malformed. */
  status: 400 | 500;
  reason: string;
}

/** The reply to one ZAP request, and what it decided. */
export interface ZapAnswer {
  /** RFC 27 reply frames: version, request id, status code, status text, user id, metadata. */
  reply: Array<string | Uint8Array>;
  admitted: boolean;
  rejection?: ZapRejection;
}

export interface ZapPolicy {
  /** Admitted client public keys, Z85. */
  authorized: ReadonlySet<string>;
  /** The only domain answered with 200; see CURVE_ZAP_DOMAIN. */
  domain: string;
}

export interface ZapHandlerOptions {
  /** Client public keys (Z85) to admit: `CurveKeys.authorized`. */
  authorized: readonly string[];
  /** Default CURVE_ZAP_DOMAIN, the domain `curveServer` sets. */
  domain?: string;
  /** The ZeroMQ context of the server sockets it guards (default the global one, which sockets use unless told). */
  context?: Context;
  /** Where rejections are reported (default console.warn). Each distinct client/address/reason once; all are counted. */
  log?: (line: string) => void;
}

export interface ZapHandler {
  /** Handshakes admitted so far. */
  readonly admitted: number;
  /** Handshakes refused so far, and by reason. */
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly lastRejection: ZapRejection | undefined;
  /** Stop answering: from then on every CURVE server socket of the context (with `curveServer`) refuses every client. */
  close(): Promise<void>;
}

/** Distinct rejections logged before the rest are only counted: a stream of made-up keys must not grow memory or logs. */
const MAX_LOGGED = 1024;

/**
 * Decide one ZAP request (RFC 27), as libzmq sends it to a REP socket: version "1.0", request id,
 * domain, address, identity, mechanism, credentials (for CURVE, the client's 32-byte public key).
 * Admits CURVE clients whose key is in the policy, for the policy's domain only (another domain is
 * some other server socket in the process, whose policy this cannot know: refuse rather than guess).
 *
 * @example
 * const { admitted } = answerZap(requestFrames, { authorized: new Set(keys.authorized), domain: 'tributary' });
 */
export function answerZap(request: readonly Uint8Array[], policy: ZapPolicy): ZapAnswer {
  const text = (i: number) => (request[i] === undefined ? '' : Buffer.from(request[i]!).toString('utf8'));
  const requestId = request[1] ?? '';
  const base = { address: text(3), domain: text(2), mechanism: text(5) };
  const refuse = (status: 400 | 500, reason: string, clientKey?: string): ZapAnswer => ({
    reply: ['1.0', requestId, String(status), reason, '', ''],
    admitted: false,
    rejection: { ...base, ...(clientKey !== undefined && { clientKey }), status, reason },
  });
  if (request.length < 6) return refuse(500, 'malformed ZAP request');
  if (text(0) !== '1.0') return refuse(500, `unsupported ZAP version ${JSON.stringify(text(0))}`);
  if (base.domain !== policy.domain) return refuse(400, 'unknown ZAP domain');
  if (base.mechanism !== 'CURVE') return refuse(400, 'CURVE required');
  const credentials = request.slice(6);
  if (credentials.length !== 1 || credentials[0]!.length !== 32) return refuse(400, 'malformed CURVE credentials');
  const clientKey = z85Encode(credentials[0]!);
  if (!policy.authorized.has(clientKey)) return refuse(400, 'client key not authorized', clientKey);
  // The user id becomes the messages' "User-Id" property: the client key, for whoever wants to know.
  return { reply: ['1.0', requestId, '200', 'OK', clientKey, ''], admitted: true };
}

/**
 * Start the ZAP handler of a ZeroMQ context: a REP socket at inproc://zeromq.zap.01 that libzmq asks
 * about every CURVE handshake on the context's server sockets. One per context (libzmq's rule); the
 * CURVE server sockets it guards must be in the same context. Start it before binding them: with
 * `curveServer` (zapEnforceDomain) they refuse every client while no handler runs.
 *
 * @example
 * const keys = await loadCurveKeys('/etc/tributary/curve');
 * const zap = await startZapHandler({ authorized: keys.authorized });
 * // ... bind CURVE server sockets, run ...
 * console.log(zap.rejected);
 * await zap.close();
 */
export async function startZapHandler(opts: ZapHandlerOptions): Promise<ZapHandler> {
  if (opts.authorized.length === 0) throw new Error('ZAP handler: no authorized client keys (every client would be refused)');
  const policy: ZapPolicy = { authorized: new Set(opts.authorized), domain: opts.domain ?? CURVE_ZAP_DOMAIN };
  const log = opts.log ?? ((line: string) => console.warn(line));
  const socket = new Reply({ context: opts.context ?? globalContext, linger: 0 });
  try {
    await socket.bind(ZAP_ENDPOINT);
  } catch (err) {
    socket.close();
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new Error(`cannot start the ZAP handler at ${ZAP_ENDPOINT}: ${inUse ? 'another one already runs in this ZeroMQ context (one per context: share it)' : (err as Error).message}`);
  }
  let admitted = 0;
  let rejected = 0;
  const rejectedByReason: Record<string, number> = {};
  let lastRejection: ZapRejection | undefined;
  const logged = new Set<string>();
  let closing = false;

  const note = (r: ZapRejection) => {
    rejected++;
    rejectedByReason[r.reason] = (rejectedByReason[r.reason] ?? 0) + 1;
    lastRejection = r;
    // A refused client retries at every reconnect interval: report each one once, count them all.
    const id = `${r.clientKey ?? '-'} ${r.address} ${r.reason}`;
    if (logged.has(id) || logged.size > MAX_LOGGED) return;
    logged.add(id);
    if (logged.size > MAX_LOGGED) log(`CURVE: more than ${MAX_LOGGED} distinct rejections; further ones are counted, not logged`);
    else log(`CURVE: refused ${r.mechanism || 'a'} client${r.clientKey ? ` ${r.clientKey}` : ''} from ${r.address || 'an unknown address'}: ${r.reason} (domain ${JSON.stringify(r.domain)})`);
  };

  const loop = (async () => {
    try {
      for await (const request of socket) {
        const answer = answerZap(request, policy);
        if (answer.admitted) admitted++;
        else note(answer.rejection!);
        await socket.send(answer.reply);
      }
    } catch (err) {
      if (!closing) throw err;
    }
  })();
  // A failure of the loop (not a closing socket) must not go unhandled; close() rethrows it.
  let failure: unknown;
  loop.catch((err: unknown) => {
    failure = err;
  });

  return {
    get admitted() {
      return admitted;
    },
    get rejected() {
      return rejected;
    },
    get rejectedByReason() {
      return rejectedByReason;
    },
    get lastRejection() {
      return lastRejection;
    },
    async close() {
      if (closing) return;
      closing = true;
      socket.close();
      await loop.catch(() => undefined);
      if (failure !== undefined) throw new Error(`the ZAP handler stopped: ${(failure as Error).message}`);
    },
  };
}
