/**
 * Where a live transport hands its messages: the connector reads one message at a time and, before
 * each read, waits while the sink is paused (its source's queue is full). Not reading is how
 * backpressure reaches producers: the transport's own buffers fill and hold them back.
 */
export interface MessageSink {
  /** One message's payload. */
  message(payload: Uint8Array): void;
  /** A message the transport skipped unread because it is over max_message_bytes (`bytes` long). */
  tooLarge(bytes: number): void;
  /** True while no more may be read. */
  readonly paused: boolean;
  /** Resolves once reading may go on. */
  ready(): Promise<void>;
  /** The transport failed for good: the live run stops with this error. */
  fail(err: unknown): void;
}

/**
 * A live transport that delivers messages: ZeroMQ PULL or SUB, a WebSocket client, or anything a
 * test or an embedding program supplies.
 *
 * @example
 * const c: MessageConnector = new ZmqConnector({ endpoint: 'tcp://127.0.0.1:5555', pattern: 'pull', bind: true, topic: '' });
 * await c.start(sink); // bound and reading
 * await c.stop();      // read what is already buffered, then close
 */
export interface MessageConnector {
  /** For logs and dead letters, e.g. `zmq pull tcp://127.0.0.1:5555`. */
  readonly description: string;
  /** Bind or connect, and start reading. Resolves once messages can arrive. */
  start(sink: MessageSink): Promise<void>;
  /** Stop reading. Resolves when the read loop has ended and the transport is closed. */
  stop(): Promise<void>;
}
