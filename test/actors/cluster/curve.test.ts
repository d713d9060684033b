import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context, Dealer, Pull, Push, Router, type Socket } from 'zeromq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CURVE_FILES,
  curveClient,
  curveServer,
  generateCurveKeys,
  loadCurveKeys,
  loadCurveKeysIfPresent,
  parseAuthorizedKeys,
  parseZ85Key,
  z85Decode,
  z85Encode,
  type CurveKeys,
} from '../../../src/actors/cluster/curve.js';
import { answerZap, startZapHandler, type ZapHandler } from '../../../src/actors/cluster/zapHandler.js';
import { keysCommand } from '../../../src/cli/commands/keys.js';
import { tempDir } from '../../helpers/tables.js';

const tmp = tempDir('tributary-curve-');
afterAll(() => tmp.remove());
let dirs = 0;
const freshDir = () => join(tmp.dir, `keys-${++dirs}`);

/** How long a refused peer is given to get a message through anyway. */
const NOTHING_MS = 500;

describe('CURVE key directory', () => {
  it('generates a layout that loads back, with private modes', async () => {
    const dir = freshDir();
    const gen = await generateCurveKeys(dir);
    expect(gen.files).toEqual(Object.values(CURVE_FILES));
    const keys = await loadCurveKeys(dir);
    expect(keys.server.publicKey).toBe(gen.serverPublicKey);
    expect(keys.client.publicKey).toBe(gen.clientPublicKey);
    expect(keys.authorized).toEqual([gen.clientPublicKey]);
    for (const k of [keys.server.publicKey, keys.server.secretKey, keys.client.publicKey, keys.client.secretKey]) expect(k).toMatch(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/);
    if (process.platform !== 'win32') {
      const mode = async (name: string) => (await stat(join(dir, name))).mode & 0o777;
      expect(await mode(CURVE_FILES.serverSecret)).toBe(0o600);
      expect(await mode(CURVE_FILES.clientSecret)).toBe(0o600);
      expect((await stat(dir)).mode & 0o077).toBe(0);
    }
  });

  it('refuses to overwrite keys unless forced', async () => {
    const dir = freshDir();
    const first = await generateCurveKeys(dir);
    await expect(generateCurveKeys(dir)).rejects.toThrow(/already in .*server\.key.*--force/);
    expect((await loadCurveKeys(dir)).server.publicKey).toBe(first.serverPublicKey);
    const second = await generateCurveKeys(dir, { force: true });
    expect(second.serverPublicKey).not.toBe(first.serverPublicKey);
    const keys = await loadCurveKeys(dir);
    expect(keys.server.publicKey).toBe(second.serverPublicKey);
    if (process.platform !== 'win32') expect((await stat(join(dir, CURVE_FILES.serverSecret))).mode & 0o777).toBe(0o600);
  });

  it('names missing files', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, CURVE_FILES.serverPublic), 'x');
    await expect(loadCurveKeys(dir)).rejects.toThrow(/missing server\.key, client\.key, client\.pub, authorized_keys/);
  });

  it('rejects malformed keys with the file and the reason', async () => {
    const dir = freshDir();
    await generateCurveKeys(dir);
    const pub = join(dir, CURVE_FILES.serverPublic);
    const good = await readFile(pub, 'utf8');
    await writeFile(pub, good.trim().slice(1));
    await expect(loadCurveKeys(dir)).rejects.toThrow(/server\.pub: a CURVE key is 40 characters of Z85, found 39/);
    await writeFile(pub, `${good.trim().slice(1)}~`);
    await expect(loadCurveKeys(dir)).rejects.toThrow(/server\.pub: "~" is not a Z85 character/);
    await writeFile(pub, '');
    await expect(loadCurveKeys(dir)).rejects.toThrow(/found 0 \(empty\)/);
    // '#####' is 85^5 - 1, more than 32 bits hold.
    await writeFile(pub, `#####${good.trim().slice(5)}`);
    await expect(loadCurveKeys(dir)).rejects.toThrow(/overflows 32 bits/);
  });

  it('rejects a public key that is not its secret key’s', async () => {
    const dir = freshDir();
    const other = freshDir();
    await generateCurveKeys(dir);
    await generateCurveKeys(other);
    await writeFile(join(dir, CURVE_FILES.serverPublic), await readFile(join(other, CURVE_FILES.serverPublic)));
    await expect(loadCurveKeys(dir)).rejects.toThrow(/server\.pub is not the public key of .*server\.key/);
  });

  it.skipIf(process.platform === 'win32')('rejects a secret key readable by every user', async () => {
    const dir = freshDir();
    await generateCurveKeys(dir);
    await chmod(join(dir, CURVE_FILES.clientSecret), 0o644);
    await expect(loadCurveKeys(dir)).rejects.toThrow(/client\.key is readable by every user/);
    // Group-readable is fine: Kubernetes makes a Secret's 0400 files 0440 under fsGroup.
    await chmod(join(dir, CURVE_FILES.clientSecret), 0o440);
    await expect(loadCurveKeys(dir)).resolves.toBeDefined();
  });

  it('requires authorized_keys to list the client key', async () => {
    const dir = freshDir();
    const other = freshDir();
    await generateCurveKeys(dir);
    const { clientPublicKey } = await generateCurveKeys(other);
    await writeFile(join(dir, CURVE_FILES.authorized), `${clientPublicKey}\n`);
    await expect(loadCurveKeys(dir)).rejects.toThrow(/authorized_keys does not list client\.pub/);
    await writeFile(join(dir, CURVE_FILES.authorized), '# nobody\n');
    await expect(loadCurveKeys(dir)).rejects.toThrow(/no authorized client keys/);
  });

  it('parses authorized_keys with comments, labels and duplicates', () => {
    const a = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
    const b = 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID';
    expect(parseAuthorizedKeys(`# nodes\n\n${a} node-a\r\n  ${b}\n${a}\n`, 'authorized_keys')).toEqual([a, b]);
    expect(() => parseAuthorizedKeys(`${a}\nnot-a-key\n`, 'authorized_keys')).toThrow(/authorized_keys line 2: a CURVE key is 40 characters/);
    expect(parseZ85Key(`  ${a}\n`, 'x')).toBe(a);
  });

  it('treats an absent or empty directory as CURVE off, a partial one as an error', async () => {
    expect(await loadCurveKeysIfPresent(join(tmp.dir, 'no-such-dir'))).toBeUndefined();
    const empty = freshDir();
    await mkdir(empty);
    expect(await loadCurveKeysIfPresent(empty)).toBeUndefined();
    const full = freshDir();
    await generateCurveKeys(full);
    expect((await loadCurveKeysIfPresent(full))?.dir).toBe(full);
    await writeFile(join(empty, CURVE_FILES.clientPublic), 'x');
    await expect(loadCurveKeysIfPresent(empty)).rejects.toThrow(/missing server\.key/);
  });

  it('Z85 matches the RFC 32 test vector', () => {
    const bytes = Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
    expect(() => z85Decode('Hello1')).toThrow(/multiple of 5/);
  });
});

describe('tributary keys', () => {
  it('writes keys and says how to make the Secret', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    expect(await keysCommand(dir, {}, (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/wrote CURVE keys to .*server\.key, server\.pub, client\.key, client\.pub, authorized_keys/);
    expect(lines.join('\n')).toContain('kubectl create secret generic tributary-curve --from-file=');
    await expect(keysCommand(dir, {}, () => undefined)).rejects.toThrow(/--force/);
    expect(await keysCommand(dir, { force: true }, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toMatch(/replaced existing keys/);
  });
});

describe('ZAP answers', () => {
  const key = new Uint8Array(32).fill(7);
  const policy = { authorized: new Set([z85Encode(key)]), domain: 'tributary' };
  const request = (over: Partial<Record<'version' | 'domain' | 'mechanism', string>> = {}, creds: Uint8Array[] = [key]) => [
    Buffer.from(over.version ?? '1.0'),
    Buffer.from('id-1'),
    Buffer.from(over.domain ?? 'tributary'),
    Buffer.from('10.0.0.9'),
    Buffer.alloc(0),
    Buffer.from(over.mechanism ?? 'CURVE'),
    ...creds,
  ];
  const status = (frames: Array<string | Uint8Array>) => [String(frames[0]), Buffer.from(frames[1]!).toString(), String(frames[2])];

  it('admits an authorized CURVE key, with the key as user id', () => {
    const a = answerZap(request(), policy);
    expect(a.admitted).toBe(true);
    expect(status(a.reply)).toEqual(['1.0', 'id-1', '200']);
    expect(a.reply[4]).toBe(z85Encode(key));
  });

  it('refuses everything else with a reason', () => {
    const other = new Uint8Array(32).fill(9);
    const cases: Array<[frames: Uint8Array[], code: string, reason: RegExp]> = [
      [request({}, [other]), '400', /not authorized/],
      [request({ domain: 'elsewhere' }), '400', /unknown ZAP domain/],
      [request({ mechanism: 'NULL' }, []), '400', /CURVE required/],
      [request({}, [key.subarray(0, 31)]), '400', /malformed CURVE credentials/],
      [request({ version: '2.0' }), '500', /unsupported ZAP version/],
      [request().slice(0, 4), '500', /malformed ZAP request/],
    ];
    for (const [frames, code, reason] of cases) {
      const a = answerZap(frames, policy);
      expect(a.admitted).toBe(false);
      expect(status(a.reply)).toEqual(['1.0', 'id-1', code]);
      expect(a.rejection!.reason).toMatch(reason);
    }
    expect(answerZap(request({}, [other]), policy).rejection).toMatchObject({ address: '10.0.0.9', clientKey: z85Encode(other), status: 400 });
  });
});

describe('CURVE over real sockets', () => {
  let open: Socket[] = [];
  let handlers: ZapHandler[] = [];
  afterEach(async () => {
    for (const s of open) s.close();
    await Promise.all(handlers.map((h) => h.close()));
    open = [];
    handlers = [];
  });
  const track = <S extends Socket>(s: S): S => {
    open.push(s);
    return s;
  };

  let keys: CurveKeys;
  /** A second cluster's keys: its client key is not authorized here, its server key is the wrong one. */
  let stranger: CurveKeys;
  const ready = (async () => {
    const a = freshDir();
    const b = freshDir();
    await Promise.all([generateCurveKeys(a), generateCurveKeys(b)]);
    [keys, stranger] = await Promise.all([loadCurveKeys(a), loadCurveKeys(b)]);
  })();

  /** A server-side context with its ZAP handler (one per context, so one per test). */
  async function guarded(): Promise<{ context: Context; zap: ZapHandler; log: string[] }> {
    await ready;
    const context = new Context();
    const log: string[] = [];
    const zap = await startZapHandler({ authorized: keys.authorized, context, log: (l) => log.push(l) });
    handlers.push(zap);
    return { context, zap, log };
  }

  async function bound<S extends Socket & { bind(a: string): Promise<void> }>(s: S): Promise<string> {
    await s.bind('tcp://127.0.0.1:*');
    return s.lastEndpoint!;
  }

  /** The next message within `ms`, or undefined. */
  async function receiveWithin(s: Router | Pull | Dealer, ms: number): Promise<string[] | undefined> {
    s.receiveTimeout = ms;
    try {
      return (await s.receive()).map((f) => f.toString());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
      throw err;
    }
  }

  async function until(cond: () => boolean, ms = 2000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  describe('DEALER to ROUTER', () => {
    async function server() {
      const g = await guarded();
      const router = track(new Router({ context: g.context, linger: 0 }));
      curveServer(router, keys);
      return { ...g, router, endpoint: await bound(router) };
    }

    it('a keyed DEALER reaches a keyed ROUTER and the reply comes back', async () => {
      const { router, endpoint, zap } = await server();
      const dealer = track(new Dealer({ linger: 0 }));
      curveClient(dealer, keys);
      expect(router.securityMechanism).toBe('curve');
      expect(dealer.securityMechanism).toBe('curve');
      dealer.connect(endpoint);
      await dealer.send('join node-0');
      const [identity, body] = await router.receive();
      expect(body!.toString()).toBe('join node-0');
      await router.send([identity!, 'welcome']);
      expect(await receiveWithin(dealer, 2000)).toEqual(['welcome']);
      expect(zap.admitted).toBeGreaterThanOrEqual(1);
      expect(zap.rejected).toBe(0);
    });

    it('a plaintext DEALER gets nothing through', async () => {
      const { router, endpoint, zap } = await server();
      const dealer = track(new Dealer({ linger: 0 }));
      dealer.connect(endpoint);
      await dealer.send('join intruder');
      expect(await receiveWithin(router, NOTHING_MS)).toBeUndefined();
      // The mechanisms differ, so the handshake fails before any ZAP request.
      expect(zap.admitted).toBe(0);
    });

    it('a DEALER with an unauthorized key pair is refused by the ZAP handler', async () => {
      const { router, endpoint, zap, log } = await server();
      const dealer = track(new Dealer({ linger: 0 }));
      curveClient(dealer, { server: keys.server, client: stranger.client });
      dealer.connect(endpoint);
      await dealer.send('join stranger');
      expect(await receiveWithin(router, NOTHING_MS)).toBeUndefined();
      await until(() => zap.rejected > 0);
      expect(zap.admitted).toBe(0);
      expect(zap.lastRejection).toMatchObject({ clientKey: stranger.client.publicKey, address: '127.0.0.1', mechanism: 'CURVE', reason: 'client key not authorized' });
      expect(zap.rejectedByReason['client key not authorized']).toBe(zap.rejected);
      // Retries are counted, but each client is logged once.
      expect(log).toEqual([expect.stringContaining(`refused CURVE client ${stranger.client.publicKey} from 127.0.0.1: client key not authorized`)]);
    });

    it('a DEALER pinning the wrong server key gets nothing through', async () => {
      const { router, endpoint, zap } = await server();
      const dealer = track(new Dealer({ linger: 0 }));
      curveClient(dealer, { server: stranger.server, client: keys.client });
      dealer.connect(endpoint);
      await dealer.send('join lost');
      expect(await receiveWithin(router, NOTHING_MS)).toBeUndefined();
      // The server cannot decrypt the hello: no ZAP request is ever made.
      expect(zap.admitted + zap.rejected).toBe(0);
    });

    it('with no ZAP handler in its context, a CURVE server refuses even a keyed client', async () => {
      await ready;
      const router = track(new Router({ context: new Context(), linger: 0 }));
      curveServer(router, keys);
      const endpoint = await bound(router);
      const dealer = track(new Dealer({ linger: 0 }));
      curveClient(dealer, keys);
      dealer.connect(endpoint);
      await dealer.send('join node-0');
      expect(await receiveWithin(router, NOTHING_MS)).toBeUndefined();
    });
  });

  describe('PUSH to PULL', () => {
    async function server() {
      const g = await guarded();
      const pull = track(new Pull({ context: g.context, linger: 0 }));
      curveServer(pull, keys);
      return { ...g, pull, endpoint: await bound(pull) };
    }
    /** A PUSH whose send cannot block the test when no peer completes the handshake. */
    function pusher(k?: Pick<CurveKeys, 'server' | 'client'>): Push {
      const push = track(new Push({ linger: 0, sendTimeout: NOTHING_MS }));
      if (k) curveClient(push, k);
      return push;
    }
    async function sendQuietly(push: Push, msg: string): Promise<void> {
      await push.send(msg).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EAGAIN') throw err;
      });
    }

    it('a keyed PUSH reaches a keyed PULL', async () => {
      const { pull, endpoint } = await server();
      const push = pusher(keys);
      push.connect(endpoint);
      await push.send('batch 1');
      expect(await receiveWithin(pull, 2000)).toEqual(['batch 1']);
    });

    it('a plaintext PUSH gets nothing through', async () => {
      const { pull, endpoint } = await server();
      const push = pusher();
      push.connect(endpoint);
      await sendQuietly(push, 'batch 1');
      expect(await receiveWithin(pull, NOTHING_MS)).toBeUndefined();
    });

    it('a PUSH with an unauthorized key pair is refused by the ZAP handler', async () => {
      const { pull, endpoint, zap } = await server();
      const push = pusher({ server: keys.server, client: stranger.client });
      push.connect(endpoint);
      await sendQuietly(push, 'batch 1');
      expect(await receiveWithin(pull, NOTHING_MS)).toBeUndefined();
      await until(() => zap.rejected > 0);
      expect(zap.lastRejection?.clientKey).toBe(stranger.client.publicKey);
    });

    it('a PUSH pinning the wrong server key gets nothing through', async () => {
      const { pull, endpoint } = await server();
      const push = pusher({ server: stranger.server, client: keys.client });
      push.connect(endpoint);
      await sendQuietly(push, 'batch 1');
      expect(await receiveWithin(pull, NOTHING_MS)).toBeUndefined();
    });
  });

  it('allows one ZAP handler per context', async () => {
    const { context } = await guarded();
    await expect(startZapHandler({ authorized: keys.authorized, context })).rejects.toThrow(/another one already runs in this ZeroMQ context/);
  });
});
