import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import { parseIsoTime } from '../../pipelines/data/time.js';

/**
 * A feature fetch, as clients send it (JSON, over ZeroMQ or HTTP):
 *
 *   { "keys": { "card_id": "c1", "user_id": "u9" }, "features": ["spend_30d", "amount_z"], "now": 1704067200000 }
 *   { "keys": [{ "card_id": "c1" }, { "card_id": "c2" }] }
 *
 * - `keys`: one key (an object of key column → value) or many (an array of them);
 * - `features` (optional): feature columns, config feature names (all their columns) or derived
 *   features; by default every feature whose key columns the request gives;
 * - `now` (optional): epoch ms or ISO-8601, what max staleness is measured against (default: the clock);
 * - `id` (optional): echoed in the reply, so that a client can have several requests in flight.
 */
export interface FetchRequest {
  id?: string | number;
  /** One entry per key, each a full set of key column values. */
  keys: Record<string, DictionaryValue>[];
  /** The request gave one key (an object), not an array: the reply is one vector, not a list. */
  single: boolean;
  features?: string[];
  now?: number;
}

/** A request that cannot be served: its message goes back to the client as `{ "error": ... }`. */
export class RequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status that fits: 400 for a bad request, 413 when it is too large. */
    readonly status = 400,
    readonly id?: string | number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface RequestLimits {
  /** Largest request body, bytes (default 1 MiB). */
  maxRequestBytes: number;
  /** Most keys in one request (default 10 000). */
  maxKeys: number;
  /** Most feature names in one request (default 1 000). */
  maxFeatures: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxRequestBytes: 1 << 20, maxKeys: 10_000, maxFeatures: 1_000 };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Parse and check a request body. Nothing here knows which features or key columns exist; the
 * fetcher checks names against the store.
 * @throws RequestError
 *
 * @example
 * parseFetchRequest('{"keys":{"card_id":"c1"}}'); // { keys: [{ card_id: 'c1' }], single: true }
 */
export function parseFetchRequest(body: string | Uint8Array, limits: RequestLimits = DEFAULT_LIMITS): FetchRequest {
  const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (bytes > limits.maxRequestBytes) throw new RequestError(`the request is ${bytes} bytes, over the limit of ${limits.maxRequestBytes}`, 413);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RequestError(`the request is not valid JSON: ${(err as Error).message}`);
  }
  return checkFetchRequest(raw, limits);
}

/** Check a request already parsed from JSON (the HTTP GET form builds one). @throws RequestError */
export function checkFetchRequest(raw: unknown, limits: RequestLimits = DEFAULT_LIMITS): FetchRequest {
  if (!isObject(raw)) throw new RequestError('a request is a JSON object: {"keys": {...}, "features": [...]}');
  const id = raw.id;
  if (id !== undefined && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) throw new RequestError('"id" must be a string or a number');
  const fail = (message: string, status = 400): never => {
    throw new RequestError(message, status, id as string | number | undefined);
  };
  for (const k of Object.keys(raw)) {
    if (k !== 'keys' && k !== 'features' && k !== 'now' && k !== 'id') fail(`unknown request field "${k}": a request has keys, features, now and id`);
  }

  const single = isObject(raw.keys);
  const list = single ? [raw.keys] : raw.keys;
  if (!Array.isArray(list)) fail('"keys" must be an object of key column values ({"card_id": "c1"}) or an array of them');
  const entries = list as unknown[];
  if (entries.length === 0) fail('"keys" is empty: give at least one key');
  if (entries.length > limits.maxKeys) fail(`"keys" has ${entries.length} entries, over the limit of ${limits.maxKeys}`, 413);
  const keys: Record<string, DictionaryValue>[] = [];
  entries.forEach((entry, i) => {
    const where = single ? 'keys' : `keys[${i}]`;
    if (!isObject(entry)) fail(`${where} must be an object of key column values`);
    const e = entry as Record<string, unknown>;
    const names = Object.keys(e);
    if (names.length === 0) fail(`${where} names no key column`);
    for (const name of names) {
      const v = e[name];
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) fail(`${where}.${name} must be a string or a number`);
    }
    keys.push(e as Record<string, DictionaryValue>);
  });

  let features: string[] | undefined;
  if (raw.features !== undefined) {
    if (!Array.isArray(raw.features) || raw.features.some((f) => typeof f !== 'string' || f === '')) fail('"features" must be an array of feature names');
    features = [...new Set(raw.features as string[])];
    if (features.length === 0) fail('"features" is empty: leave it out to get every feature of the key');
    if (features.length > limits.maxFeatures) fail(`"features" has ${features.length} names, over the limit of ${limits.maxFeatures}`, 413);
  }

  let now: number | undefined;
  if (raw.now !== undefined) {
    now = typeof raw.now === 'number' ? raw.now : typeof raw.now === 'string' ? parseIsoTime(raw.now) : NaN;
    if (!Number.isFinite(now)) fail('"now" must be epoch milliseconds or an ISO-8601 time');
  }
  return { ...(id !== undefined && { id: id as string | number }), keys, single, ...(features && { features }), ...(now !== undefined && { now }) };
}
