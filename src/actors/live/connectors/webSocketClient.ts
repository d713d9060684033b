import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { clientFrame, closePayload, FrameReader, OPCODE, ProtocolError } from './webSocketFrames.js';

/** Appended to the client's key and hashed by the server: RFC 6455 section 1.3. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** How long a closing handshake may take before the socket is simply destroyed, ms. */
const CLOSE_WAIT_MS = 1000;

export interface WebSocketHandlers {
  message(data: Uint8Array, binary: boolean): void;
  /** A message over the size limit arrived; its bytes were skipped. */
  tooLarge(bytes: number): void;
  /** The connection is gone: the close code (1006 when it just dropped) and, if it failed, why. */
  closed(code: number, error?: Error): void;
}

/** An open WebSocket connection, as the live source drives it. */
export interface WebSocketConnection {
  /** Stop reading from the socket (TCP then holds the server back), and go on. */
  pause(): void;
  resume(): void;
  /** Run the closing handshake (bounded in time) and release the socket. */
  close(code?: number): Promise<void>;
}

/**
 * A minimal RFC 6455 WebSocket client over Node's http(s) upgrade: enough for a live feed, which
 * only receives. It answers pings and the server's close, and never sends data frames. Messages are
 * handed over whole (fragments joined); one over `maxMessageBytes` is skipped as it streams in.
 *
 * Written here rather than taking the `ws` package, which is not a dependency; the connector uses
 * only `WebSocketConnection`, so `ws` could stand in behind it.
 *
 * @example
 * const conn = await connectWebSocket('ws://feed.local/trades', 1 << 20, {
 *   message: (data) => sink.message(data), tooLarge: () => {}, closed: (code) => console.log('closed', code),
 * });
 * conn.pause(); conn.resume(); await conn.close();
 */
export function connectWebSocket(url: string, maxMessageBytes: number, handlers: WebSocketHandlers): Promise<WebSocketConnection> {
  const u = new URL(url);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return Promise.reject(new Error(`${url}: a WebSocket URL starts with ws:// or wss://`));
  const key = randomBytes(16).toString('base64');
  const expected = createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
  const request = (u.protocol === 'wss:' ? https : http).request({
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? (u.protocol === 'wss:' ? 443 : 80) : Number(u.port),
    path: `${u.pathname}${u.search}`,
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
  });
  return new Promise((resolve, reject) => {
    request.on('response', (res) => {
      res.resume();
      reject(new Error(`${url}: the server answered HTTP ${res.statusCode} instead of switching to WebSocket`));
    });
    request.on('error', (err) => reject(new Error(`${url}: ${err.message}`)));
    request.on('upgrade', (res, socket, head) => {
      if (res.headers['sec-websocket-accept'] !== expected) {
        socket.destroy();
        reject(new Error(`${url}: the server's Sec-WebSocket-Accept does not match our key`));
        return;
      }
      resolve(openConnection(socket, head, maxMessageBytes, handlers));
    });
    request.end();
  });
}

function openConnection(socket: Duplex, head: Buffer, maxMessageBytes: number, handlers: WebSocketHandlers): WebSocketConnection {
  let closeCode = 1006;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let ended: () => void = () => {};
  const gone = new Promise<void>((resolve) => (ended = resolve));
  (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

  const send = (opcode: number, payload?: Uint8Array): void => {
    if (!socket.destroyed && socket.writable) socket.write(clientFrame(opcode, payload));
  };
  const reader = new FrameReader(maxMessageBytes, {
    message: (data, binary) => handlers.message(data, binary),
    tooLarge: (bytes) => handlers.tooLarge(bytes),
    ping: (payload) => send(OPCODE.pong, payload),
    close: (code) => {
      closeCode = code;
      // Echo the close (unless we started it), then the server closes the TCP connection.
      if (closing === undefined) send(OPCODE.close, closePayload(code === 1005 ? 1000 : code));
      socket.end();
    },
  });
  const onData = (chunk: Buffer): void => {
    try {
      reader.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      failure = new Error(`WebSocket protocol error: ${err.message}`);
      closeCode = 1002;
      send(OPCODE.close, closePayload(1002, err.message.slice(0, 100)));
      socket.destroy();
    }
  };
  socket.on('data', onData);
  socket.on('error', (err) => (failure ??= err));
  socket.on('close', () => {
    ended();
    handlers.closed(closeCode, failure);
  });
  if (head.length > 0) queueMicrotask(() => onData(head));

  return {
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close(code = 1000) {
      closing ??= (async () => {
        send(OPCODE.close, closePayload(code));
        socket.resume();
        const timer = setTimeout(() => socket.destroy(), CLOSE_WAIT_MS);
        await gone;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
