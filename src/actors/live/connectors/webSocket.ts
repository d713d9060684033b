import { connectWebSocket, type WebSocketConnection } from './webSocketClient.js';
import type { MessageConnector, MessageSink } from './types.js';

export interface WebSocketConnectorOptions {
  url: string;
  /** Messages over this are skipped as they stream in, and counted as too large. */
  maxMessageBytes: number;
  /** Wait before reconnecting after the connection drops, ms (doubling up to 30 s while it fails). */
  reconnectMs?: number;
}

/**
 * A WebSocket client as a live transport: connects to a feed, takes each text or binary message as
 * one message, and reconnects when the connection drops (the first connection must succeed, so a
 * wrong URL fails the run at once).
 *
 * Backpressure: while the source's queue is full the TCP socket is paused, so the server's sends
 * back up in TCP. A WebSocket has no acknowledgements: messages in flight when the run stops, or when
 * the connection drops, are the server's to resend.
 *
 * @example
 * const ws = new WebSocketConnector({ url: 'wss://feed.example/trades', maxMessageBytes: 1 << 20 });
 */
export class WebSocketConnector implements MessageConnector {
  readonly description: string;
  /** Connections made after the first. */
  reconnects = 0;
  private conn: WebSocketConnection | undefined;
  private stopping = false;
  private retry: NodeJS.Timeout | undefined;
  private settled: () => void = () => {};
  private readonly done = new Promise<void>((resolve) => (this.settled = resolve));

  constructor(private readonly opts: WebSocketConnectorOptions) {
    this.description = `websocket ${opts.url}`;
  }

  async start(sink: MessageSink): Promise<void> {
    await this.connect(sink);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    const conn = this.conn;
    if (conn === undefined) return;
    await conn.close();
    await this.done;
  }

  private async connect(sink: MessageSink): Promise<void> {
    // Messages may arrive (the handshake's trailing bytes) before connectWebSocket's promise settles.
    let conn: WebSocketConnection | undefined;
    const holdBack = (): void => {
      if (conn === undefined || !sink.paused) return;
      const c = conn;
      c.pause();
      void sink.ready().then(() => c.resume());
    };
    conn = await connectWebSocket(this.opts.url, this.opts.maxMessageBytes, {
      message: (data) => {
        sink.message(data);
        holdBack();
      },
      tooLarge: (bytes) => sink.tooLarge(bytes),
      closed: () => {
        if (conn === undefined || this.conn !== conn) return;
        this.conn = undefined;
        if (this.stopping) {
          this.settled();
          return;
        }
        this.reconnectLater(sink, this.opts.reconnectMs ?? 1000);
      },
    });
    if (this.stopping) {
      // Stopped while this connection was being made (a reconnect): do not keep it.
      await conn.close();
      return;
    }
    this.conn = conn;
    holdBack();
  }

  private reconnectLater(sink: MessageSink, waitMs: number): void {
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopping) return;
      this.connect(sink).then(
        () => this.reconnects++,
        () => this.reconnectLater(sink, Math.min(30_000, waitMs * 2)),
      );
    }, waitMs);
  }
}

