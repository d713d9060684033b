import { randomFillSync } from 'node:crypto';

/**
 * RFC 6455 framing for a WebSocket client, without I/O: parse what the server sends, build what the
 * client sends. No extensions are negotiated, so the RSV bits must be clear.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The server broke the protocol: the client closes with status 1002. */
export class ProtocolError extends Error {}

export interface FrameEvents {
  /** A whole data message (its fragments joined). */
  message(data: Uint8Array, binary: boolean): void;
  /** A data message longer than the limit: its bytes were skipped, never held. */
  tooLarge(bytes: number): void;
  ping(payload: Uint8Array): void;
  /** The server's close frame: its status code (1005 when none) and reason. */
  close(code: number, reason: string): void;
}

/** Bytes received and not yet parsed, as a list of chunks (no copy until bytes are taken). */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(c: Uint8Array): void {
    if (c.length === 0) return;
    this.chunks.push(c);
    this.length += c.length;
  }

  /** Byte `i` from the front. */
  at(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    throw new RangeError('past the end');
  }

  /** The first `n` bytes, removed: a view when they lie in one chunk, a copy otherwise. */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.length -= n;
    return out;
  }
}

type State =
  | { kind: 'header' }
  | { kind: 'payload'; opcode: number; fin: boolean; remaining: number; control: boolean };

/**
 * Parses server frames as bytes arrive, and assembles fragmented messages. A message is held only up
 * to `maxMessageBytes`: beyond that, the rest of it is skipped as it arrives and `tooLarge` is
 * reported once it ends, so an oversized message costs no memory.
 *
 * @example
 * const reader = new FrameReader(1 << 20, { message: (d) => use(d), tooLarge: count, ping: pong, close: bye });
 * socket.on('data', (chunk) => reader.push(chunk));
 */
export class FrameReader {
  private readonly bytes = new ByteQueue();
  private state: State = { kind: 'header' };
  /** The data message being assembled: its opcode, fragments so far, total size, whether it is over the limit. */
  private message: { binary: boolean; parts: Uint8Array[]; size: number; skipping: boolean } | undefined;
  private control: Uint8Array[] = [];

  constructor(
    private readonly maxMessageBytes: number,
    private readonly events: FrameEvents,
  ) {}

  /** Feed received bytes; events fire for every complete message or control frame. Throws ProtocolError. */
  push(chunk: Uint8Array): void {
    this.bytes.push(chunk);
    for (;;) {
      if (this.state.kind === 'header') {
        if (!this.readHeader()) return;
        continue;
      }
      const s = this.state;
      if (s.remaining > 0) {
        if (this.bytes.length === 0) return;
        const n = Math.min(s.remaining, this.bytes.length);
        const piece = this.bytes.take(n);
        s.remaining -= n;
        if (s.control) this.control.push(piece);
        else if (!this.message!.skipping) this.message!.parts.push(piece);
        if (s.remaining > 0) return;
      }
      this.endFrame(s);
      this.state = { kind: 'header' };
    }
  }

  /** Parse a frame header when all of it is here; false when more bytes are needed. */
  private readHeader(): boolean {
    const q = this.bytes;
    if (q.length < 2) return false;
    const b0 = q.at(0);
    const b1 = q.at(1);
    const short = b1 & 0x7f;
    const headerLength = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
    if (q.length < headerLength) return false;
    const head = q.take(headerLength);
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) throw new ProtocolError('reserved bits set without an extension');
    if ((b1 & 0x80) !== 0) throw new ProtocolError('a server must not mask its frames');
    let length = short;
    if (short === 126) length = (head[2]! << 8) | head[3]!;
    else if (short === 127) {
      const hi = ((head[2]! << 24) | (head[3]! << 16) | (head[4]! << 8) | head[5]!) >>> 0;
      const lo = ((head[6]! << 24) | (head[7]! << 16) | (head[8]! << 8) | head[9]!) >>> 0;
      if (hi >= 0x200000) throw new ProtocolError('frame length beyond 2^53');
      length = hi * 2 ** 32 + lo;
    }
    const control = opcode >= 0x8;
    if (control) {
      if (!fin || length > 125) throw new ProtocolError('a control frame must be whole and at most 125 bytes');
      if (opcode !== OPCODE.close && opcode !== OPCODE.ping && opcode !== OPCODE.pong) throw new ProtocolError(`unknown control opcode ${opcode}`);
      this.control = [];
    } else if (opcode === OPCODE.continuation) {
      if (this.message === undefined) throw new ProtocolError('a continuation frame with no message to continue');
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.message !== undefined) throw new ProtocolError('a new message began before the last one ended');
      this.message = { binary: opcode === OPCODE.binary, parts: [], size: 0, skipping: false };
    } else {
      throw new ProtocolError(`unknown data opcode ${opcode}`);
    }
    if (!control) {
      const m = this.message!;
      m.size += length;
      if (m.size > this.maxMessageBytes && !m.skipping) {
        m.skipping = true;
        m.parts = [];
      }
    }
    this.state = { kind: 'payload', opcode, fin, remaining: length, control };
    return true;
  }

  private endFrame(s: Extract<State, { kind: 'payload' }>): void {
    if (s.control) {
      const payload = join(this.control, this.control.reduce((n, p) => n + p.length, 0));
      this.control = [];
      if (s.opcode === OPCODE.ping) this.events.ping(payload);
      else if (s.opcode === OPCODE.close) {
        const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        this.events.close(code, Buffer.from(payload.subarray(2)).toString('utf8'));
      }
      return;
    }
    if (!s.fin) return;
    const m = this.message!;
    this.message = undefined;
    if (m.skipping) this.events.tooLarge(m.size);
    else this.events.message(join(m.parts, m.size), m.binary);
  }
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One whole client frame: FIN set and, as RFC 6455 requires of a client, the payload masked with a
 * fresh random key.
 *
 * @example
 * socket.write(clientFrame(OPCODE.pong, pingPayload));
 */
export function clientFrame(opcode: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + 4 + n);
  out[0] = 0x80 | opcode;
  if (ext === 0) out[1] = 0x80 | n;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 0x80 | 127;
    const hi = Math.floor(n / 2 ** 32);
    new DataView(out.buffer).setUint32(2, hi);
    new DataView(out.buffer).setUint32(6, n >>> 0);
  }
  const mask = out.subarray(2 + ext, 6 + ext);
  randomFillSync(mask);
  for (let i = 0; i < n; i++) out[6 + ext + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** A close frame's payload: the status code, then the reason. */
export function closePayload(code: number, reason = ''): Uint8Array {
  const text = Buffer.from(reason, 'utf8');
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
