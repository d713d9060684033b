import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketConnector } from '../../../src/actors/live/connectors/webSocket.js';
import { FrameReader, OPCODE } from '../../../src/actors/live/connectors/webSocketFrames.js';
import { startLive } from '../../../src/actors/live/runLive.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { rowsOf, tempDir, waitFor } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** A server frame (servers do not mask). */
function frame(opcode: number, payload: Uint8Array | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const n = data.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, n]) : n < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 127;
    head.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    head.writeUInt32BE(n >>> 0, 6);
  }
  return Buffer.concat([head, data]);
}

/** What the client sent: opcode and unmasked payload of each frame (clients must mask). */
function clientFrames(bytes: Buffer): { opcode: number; masked: boolean; payload: Buffer }[] {
  const out = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const masked = (bytes[at + 1]! & 0x80) !== 0;
    let n = bytes[at + 1]! & 0x7f;
    let p = at + 2;
    if (n === 126) {
      n = bytes.readUInt16BE(p);
      p += 2;
    }
    const mask = bytes.subarray(p, p + 4);
    p += 4;
    const payload = Buffer.from(bytes.subarray(p, p + n));
    for (let i = 0; i < n; i++) payload[i]! ^= mask[i & 3]!;
    out.push({ opcode: bytes[at]! & 0x0f, masked, payload });
    at = p + n;
  }
  return out;
}

/** A bare RFC 6455 server: the handshake, then whatever the test writes. */
async function wsServer(): Promise<{ server: Server; url: string; clients: Duplex[]; received: Buffer[] }> {
  const clients: Duplex[] = [];
  const received: Buffer[] = [];
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (clientFrames(d).some((f) => f.opcode === OPCODE.close)) socket.end(frame(OPCODE.close, Buffer.from([0x03, 0xe8])));
    });
    socket.on('error', () => {});
    clients.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `ws://127.0.0.1:${port}/feed?x=1`, clients, received };
}

describe('WebSocket source', () => {
  it('takes text and binary messages (fragmented or not), answers pings, skips oversized messages and reconnects', async () => {
    const { server, url, clients, received } = await wsServer();
    const config = parseConfig(
      `name: ws
sources:
  ticks:
    time: ts
    time_format: epoch_ms
    keys: [sym]
    columns: { sym: string, px: float64 }
    live:
      websocket: { url: "${url}" }
      max_delay: 1ms
      max_message_bytes: 1000
      idle_timeout: 1m
features:
  - { name: px_sum, source: ticks, op: sum, column: px, windows: [1m] }
`,
      { dir: tmp.dir, dataDir: join(tmp.dir, 'data') },
    );
    const out: Batch[] = [];
    const connector = new WebSocketConnector({ url, maxMessageBytes: 1000, reconnectMs: 20 });
    const run = await startLive(config, { onOutput: (t, b) => void (t === 'ticks' && out.push(b)), connectors: { ticks: { connector, format: 'jsonl' } } });
    await waitFor(() => clients.length === 1, 'the client to connect');
    const ev = (ts: number, sym: string, px: number) => JSON.stringify({ ts, sym, px });
    const c0 = clients[0]!;
    c0.write(frame(OPCODE.text, `${ev(1, 'A', 1)}\n${ev(2, 'B', 2)}`));
    // One message in three fragments, with a ping between them (control frames may interleave).
    const text = ev(3, 'A', 3);
    c0.write(Buffer.concat([frame(OPCODE.text, text.slice(0, 5), false), frame(OPCODE.ping, 'hi'), frame(OPCODE.continuation, text.slice(5, 9), false), frame(OPCODE.continuation, text.slice(9))]));
    // Over max_message_bytes: skipped as it streams in, counted.
    c0.write(Buffer.concat([frame(OPCODE.text, 'x'.repeat(800), false), frame(OPCODE.continuation, 'y'.repeat(800))]));
    c0.write(frame(OPCODE.text, 'definitely not json'));
    await waitFor(() => run.counters().sources.ticks!.messages === 4, 'four messages');
    const pongsOf = () => clientFrames(Buffer.concat(received)).filter((f) => f.opcode === OPCODE.pong);
    await waitFor(() => pongsOf().length > 0, 'the pong');
    const pongs = pongsOf();
    expect(pongs.map((p) => [p.masked, p.payload.toString()])).toEqual([[true, 'hi']]);

    // The connection drops: the client reconnects and goes on.
    c0.destroy();
    await waitFor(() => clients.length === 2, 'the client to reconnect');
    clients[1]!.write(frame(OPCODE.text, ev(4, 'B', 4)));
    await waitFor(() => run.counters().sources.ticks!.accepted === 4, 'the event after reconnecting');
    expect(connector.reconnects).toBe(1);

    const summary = await run.stop();
    server.close();
    expect(rowsOf(out).map((r) => [r.time, r.sym, r.px_sum_1m])).toEqual([
      [1, 'A', null],
      [2, 'B', null],
      [3, 'A', 1],
      [4, 'B', 2],
    ]);
    expect(summary.counters.sources.ticks!.rejectedMessages).toEqual({ 'message too large': 1, 'malformed message': 1 });
    // The client closed politely: a masked close frame with status 1000.
    const closes = clientFrames(Buffer.concat(received.slice(-2))).filter((f) => f.opcode === OPCODE.close);
    expect(closes.at(-1)?.payload.readUInt16BE(0)).toBe(1000);
  });

  it('fails the run at once when the first connection cannot be made', async () => {
    const config = parseConfig(
      `name: nows
sources:
  ticks:
    time: ts
    keys: [sym]
    columns: { sym: string }
    live: { websocket: { url: "ws://127.0.0.1:1/" } }
features:
  - { name: n, source: ticks, op: count, windows: [1m] }
`,
      { dir: tmp.dir, dataDir: join(tmp.dir, 'data2') },
    );
    await expect(startLive(config)).rejects.toThrow(/ws:\/\/127\.0\.0\.1:1\/: .*ECONNREFUSED/);
  });
});

describe('WebSocket frames', () => {
  it('parses frames split at every byte boundary, with 16- and 64-bit lengths', () => {
    const big = 'z'.repeat(70_000);
    const bytes = Buffer.concat([frame(OPCODE.binary, Buffer.from('abc')), frame(OPCODE.text, 'é'.repeat(100)), frame(OPCODE.text, big)]);
    const got: string[] = [];
    const reader = new FrameReader(1 << 20, { message: (d) => got.push(Buffer.from(d).toString()), tooLarge: () => {}, ping: () => {}, close: () => {} });
    for (let i = 0; i < bytes.length; i += 7) reader.push(bytes.subarray(i, i + 7));
    expect(got).toEqual(['abc', 'é'.repeat(100), big]);
  });

  it('rejects what a server must not send', () => {
    const reader = () => new FrameReader(100, { message: () => {}, tooLarge: () => {}, ping: () => {}, close: () => {} });
    expect(() => reader().push(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 5]))).toThrow(/must not mask/);
    expect(() => reader().push(frame(OPCODE.continuation, 'x'))).toThrow(/no message to continue/);
    expect(() => reader().push(Buffer.from([0xc1, 0x00]))).toThrow(/reserved bits/);
    expect(() => reader().push(frame(OPCODE.ping, 'x', false))).toThrow(/control frame/);
  });

  it('an Arrow message arrives as binary bytes', () => {
    const ipc = tableToIPC(tableFromArrays({ ts: [1], sym: ['A'] }), 'stream');
    let got: Uint8Array | undefined;
    const r = new FrameReader(1 << 20, { message: (d, binary) => binary && (got = d), tooLarge: () => {}, ping: () => {}, close: () => {} });
    r.push(frame(OPCODE.binary, ipc));
    expect(Buffer.from(got!).equals(Buffer.from(ipc))).toBe(true);
  });
});
