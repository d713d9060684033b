import { createPrivateKey, createPublicKey } from 'node:crypto';
import { link, lstat, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { curveKeyPair, type Socket } from 'zeromq';

/**
 * The CURVE key directory (`--curve-dir`, the Kubernetes Secret `tributary-curve` mounted at
 * /etc/tributary/curve). Flat on purpose: a Secret's keys cannot hold `/`, so every file here is one
 * Secret key and `kubectl create secret generic tributary-curve --from-file=<dir>` maps it 1:1.
 *
 * | file              | holds                                                        | mode |
 * | ----------------- | ------------------------------------------------------------ | ---- |
 * | `server.key`      | Z85 secret key of the cluster server keypair (every binding socket) | 0600 |
 * | `server.pub`      | Z85 public key of that keypair (pinned by every connecting socket)  | 0644 |
 * | `client.key`      | Z85 secret key of the client keypair (every connecting socket)      | 0600 |
 * | `client.pub`      | Z85 public key of that keypair                                      | 0644 |
 * | `authorized_keys` | client public keys the ZAP handler admits: one Z85 key per line, optionally followed by a label; `#` comments and blank lines are ignored | 0644 |
 */
export const CURVE_FILES = {
  serverSecret: 'server.key',
  serverPublic: 'server.pub',
  clientSecret: 'client.key',
  clientPublic: 'client.pub',
  authorized: 'authorized_keys',
} as const;

/** The ZAP domain of every CURVE server socket of the cluster; the ZAP handler answers for it alone. */
export const CURVE_ZAP_DOMAIN = 'tributary';

/** A CURVE keypair as libzmq takes it: two 40-character Z85 strings (32 bytes each). */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** A loaded key directory. */
export interface CurveKeys {
  /** The directory the keys were read from (for messages). */
  dir: string;
  /** Shared by every binding socket: the coordinator's ROUTER and sink PULL, each node's data PULL. */
  server: CurveKeyPair;
  /** Used by every connecting socket: the nodes' DEALER and PUSH, the coordinator's PUSH to nodes. */
  client: CurveKeyPair;
  /** Client public keys (Z85) admitted by the ZAP handler; always includes `client.publicKey`. */
  authorized: string[];
}

export interface GenerateCurveKeysOptions {
  /** Replace keys already in the directory (every running process must then get the new ones). */
  force?: boolean;
}

export interface GeneratedCurveKeys {
  dir: string;
  /** The files written, in layout order. */
  files: string[];
  serverPublicKey: string;
  clientPublicKey: string;
}

/** The Z85 alphabet (ZeroMQ RFC 32). */
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = new Map([...Z85].map((c, i) => [c, i]));
/** Z85 text of a 32-byte CURVE key. */
const KEY_CHARS = 40;

/**
 * Write a fresh key directory: one server keypair, one client keypair, and `authorized_keys` listing
 * the client public key. Secret keys get mode 0600, the directory 0700 (when created here). Refuses if
 * any key file already exists, unless `force`. Each file is written to a temporary name and then
 * moved into place, so a crash never leaves a half-written key.
 *
 * @example
 * const { serverPublicKey } = await generateCurveKeys('/tmp/curve');
 * // then: kubectl create secret generic tributary-curve --from-file=/tmp/curve
 */
export async function generateCurveKeys(dir: string, opts: GenerateCurveKeysOptions = {}): Promise<GeneratedCurveKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = Object.values(CURVE_FILES);
  if (!opts.force) {
    const existing = (await Promise.all(names.map(async (n) => ((await exists(join(dir, n))) ? n : undefined)))).filter((n) => n !== undefined);
    if (existing.length > 0) throw new Error(`CURVE keys already in ${dir} (${existing.join(', ')}): pass --force to replace them (every node and the coordinator must then get the new ones)`);
  }
  const server = curveKeyPair();
  const client = curveKeyPair();
  const contents: Array<[name: string, text: string, mode: number]> = [
    [CURVE_FILES.serverSecret, `${server.secretKey}\n`, 0o600],
    [CURVE_FILES.serverPublic, `${server.publicKey}\n`, 0o644],
    [CURVE_FILES.clientSecret, `${client.secretKey}\n`, 0o600],
    [CURVE_FILES.clientPublic, `${client.publicKey}\n`, 0o644],
    [CURVE_FILES.authorized, `# Client public keys (Z85) the cluster admits, one per line, optionally followed by a label.\n${client.publicKey} tributary-client ${new Date().toISOString()}\n`, 0o644],
  ];
  for (const [name, text, mode] of contents) await writeKeyFile(join(dir, name), text, mode, opts.force === true);
  return { dir, files: contents.map(([name]) => name), serverPublicKey: server.publicKey, clientPublicKey: client.publicKey };
}

/**
 * Read and check a key directory: every file present, every key 40 characters of Z85, each public
 * key the one its secret key derives (a mismatched pair would fail every handshake with no clue
 * why), secret keys not readable by every user, and `client.pub` among the authorized keys (every
 * process shares the directory, so otherwise the cluster would refuse its own members).
 *
 * @example
 * const keys = await loadCurveKeys('/etc/tributary/curve');
 * curveServer(router, keys); // before router.bind(...)
 */
export async function loadCurveKeys(dir: string): Promise<CurveKeys> {
  const missing: string[] = [];
  for (const name of Object.values(CURVE_FILES)) if (!(await exists(join(dir, name)))) missing.push(name);
  if (missing.length > 0) throw new Error(`CURVE key directory ${dir} is missing ${missing.join(', ')} (create a fresh one with \`tributary keys <dir>\`)`);
  const server = await readPair(dir, CURVE_FILES.serverSecret, CURVE_FILES.serverPublic);
  const client = await readPair(dir, CURVE_FILES.clientSecret, CURVE_FILES.clientPublic);
  const authorizedFile = join(dir, CURVE_FILES.authorized);
  const authorized = parseAuthorizedKeys(await readFile(authorizedFile, 'utf8'), authorizedFile);
  if (!authorized.includes(client.publicKey)) throw new Error(`${authorizedFile} does not list ${CURVE_FILES.clientPublic} (${client.publicKey}): every process uses that client key, so the cluster would refuse its own nodes`);
  return { dir, server, client, authorized };
}

/**
 * `--curve-dir` may name an empty directory (the optional Secret does not exist): then CURVE is
 * off and this returns undefined. A directory with some but not all key files is an error, not "off".
 *
 * @example
 * const keys = await loadCurveKeysIfPresent(flags.curveDir); // undefined: plaintext cluster
 */
export async function loadCurveKeysIfPresent(dir: string): Promise<CurveKeys | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read CURVE key directory ${dir}: ${(err as Error).message}`);
  }
  const names: readonly string[] = Object.values(CURVE_FILES);
  if (!entries.some((e) => names.includes(e))) return undefined;
  return loadCurveKeys(dir);
}

/**
 * Make a binding socket a CURVE server: it encrypts, proves it holds the cluster's server key, and
 * asks the ZAP handler (see zapHandler.ts) about every client key. `zapEnforceDomain` makes it fail
 * closed: with no ZAP handler in the socket's context, libzmq would otherwise admit any client that
 * knows the (public) server key; with it, every client is refused until a handler runs. Call before
 * `bind`; options set later do not apply to connections already made.
 *
 * @example
 * const zap = await startZapHandler({ authorized: keys.authorized });
 * const router = new Router({ linger: 0 });
 * curveServer(router, keys);
 * await router.bind('tcp://0.0.0.0:7600');
 */
export function curveServer(socket: Socket, keys: Pick<CurveKeys, 'server'>): void {
  socket.curveServer = true;
  socket.curveSecretKey = keys.server.secretKey;
  // libzmq does not need its own public key as a server; set for symmetry and `securityMechanism` checks.
  socket.curvePublicKey = keys.server.publicKey;
  socket.zapDomain = CURVE_ZAP_DOMAIN;
  socket.zapEnforceDomain = true;
}

/**
 * Make a connecting socket a CURVE client: it pins the cluster's server public key (a peer without
 * the matching secret key cannot complete the handshake) and presents the client keypair, which the
 * server's ZAP handler checks against `authorized_keys`. Call before `connect`.
 *
 * @example
 * const dealer = new Dealer({ linger: 0 });
 * curveClient(dealer, keys);
 * dealer.connect('tcp://tributary-coordinator:7600');
 */
export function curveClient(socket: Socket, keys: Pick<CurveKeys, 'server' | 'client'>): void {
  socket.curveServer = false;
  socket.curveServerKey = keys.server.publicKey;
  socket.curvePublicKey = keys.client.publicKey;
  socket.curveSecretKey = keys.client.secretKey;
}

/**
 * Check one Z85 key (surrounding whitespace ignored) and return it trimmed; `what` names it in the error.
 *
 * @example
 * parseZ85Key(await readFile('server.pub', 'utf8'), 'server.pub');
 */
export function parseZ85Key(text: string, what: string): string {
  const key = text.trim();
  if (key.length !== KEY_CHARS) throw new Error(`${what}: a CURVE key is ${KEY_CHARS} characters of Z85, found ${key.length}${key.length === 0 ? ' (empty)' : ''}`);
  const bad = [...key].find((c) => !Z85_INDEX.has(c));
  if (bad !== undefined) throw new Error(`${what}: ${JSON.stringify(bad)} is not a Z85 character`);
  try {
    z85Decode(key);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
  return key;
}

/**
 * Parse `authorized_keys` text: one Z85 key per line, optionally followed by whitespace and a label;
 * `#` comments and blank lines ignored; duplicates kept once. `what` names the file in errors.
 *
 * @example
 * parseAuthorizedKeys('# nodes\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 node-a\n', 'authorized_keys');
 */
export function parseAuthorizedKeys(text: string, what: string): string[] {
  const keys = new Set<string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    keys.add(parseZ85Key(line.split(/\s+/)[0]!, `${what} line ${i + 1}`));
  }
  if (keys.size === 0) throw new Error(`${what}: no authorized client keys (every client would be refused)`);
  return [...keys];
}

/**
 * Z85 (ZeroMQ RFC 32) to bytes. The ZAP handler gets client keys as 32 raw bytes; this turns the
 * configured Z85 keys into the same form.
 *
 * @example
 * z85Decode('HelloWorld'); // Uint8Array [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text must be a multiple of 5 characters, found ${text.length}`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = Z85_INDEX.get(text[i + j]!);
      if (d === undefined) throw new Error(`${JSON.stringify(text[i + j])} is not a Z85 character`);
      v = v * 85 + d;
    }
    // 85^5 > 2^32: some 5-character groups name no 4-byte value.
    if (v > 0xffffffff) throw new Error(`Z85 group ${JSON.stringify(text.slice(i, i + 5))} overflows 32 bits`);
    out.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], (i / 5) * 4);
  }
  return out;
}

/**
 * Bytes (a multiple of 4) to Z85, e.g. a client key from a ZAP request back to the form in `authorized_keys`.
 *
 * @example
 * z85Encode(Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b)); // 'HelloWorld'
 */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error(`Z85 encodes a multiple of 4 bytes, found ${bytes.length}`);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    const group: string[] = [];
    for (let j = 0; j < 5; j++) {
      group.unshift(Z85[v % 85]!);
      v = Math.floor(v / 85);
    }
    out += group.join('');
  }
  return out;
}

/** The X25519 public key of a CURVE secret key (libsodium and OpenSSL clamp the scalar alike). */
function publicKeyOf(secretKey: string): string {
  // PKCS#8 wrapping of a raw 32-byte X25519 private key (RFC 8410): the form node:crypto imports.
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), z85Decode(secretKey)]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return z85Encode(spki.subarray(spki.length - 32));
}

async function readPair(dir: string, secretName: string, publicName: string): Promise<CurveKeyPair> {
  const secretFile = join(dir, secretName);
  const publicFile = join(dir, publicName);
  // Windows reports no meaningful mode bits; the pods run Linux.
  if (process.platform !== 'win32' && ((await stat(secretFile)).mode & 0o004) !== 0) {
    throw new Error(`${secretFile} is readable by every user: restrict it (chmod 600, or the Secret's defaultMode)`);
  }
  const secretKey = parseZ85Key(await readFile(secretFile, 'utf8'), secretFile);
  const publicKey = parseZ85Key(await readFile(publicFile, 'utf8'), publicFile);
  const derived = publicKeyOf(secretKey);
  if (derived !== publicKey) throw new Error(`${publicFile} is not the public key of ${secretFile} (that would be ${derived}): the two files come from different keypairs`);
  return { publicKey, secretKey };
}

async function writeKeyFile(file: string, text: string, mode: number, force: boolean): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode, flag: 'wx' });
  try {
    // link fails if the target exists, so a key written meanwhile by someone else is never replaced.
    if (force) await rename(tmp, file);
    else await link(tmp, file);
  } finally {
    // Gone already after a rename; after a link (or a failure) it is the spare name.
    await unlink(tmp).catch(() => undefined);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
