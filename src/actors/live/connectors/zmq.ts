import { Pull, Subscriber } from 'zeromq';
import type { MessageConnector, MessageSink } from './types.js';

export interface ZmqConnectorOptions {
  endpoint: string;
  /** `pull`: producers PUSH to us. `sub`: we subscribe to a PUB feed. */
  pattern: 'pull' | 'sub';
  /** Bind the endpoint, or connect to it. */
  bind: boolean;
  /** SUB only: the topic prefix subscribed to ('' for everything). */
  topic: string;
  /** ZeroMQ's receive high-water mark, in messages (default ZeroMQ's, 1000). */
  receiveHighWaterMark?: number;
}

/** How long a receive waits before the loop looks at whether it should stop, ms. */
const POLL_MS = 100;

/**
 * A ZeroMQ PULL or SUB socket as a live transport.
 *
 * A message is one or more frames; its payload is the last frame, so a `[topic, payload]` pair from a
 * PUB works as well as a single frame. A single-frame SUB message that starts with the topic has the
 * topic cut off (the `"<topic> <payload>"` convention, one separating space included).
 *
 * Backpressure: while the source's queue is full the socket is not read. Messages then wait in
 * ZeroMQ's receive queue up to its high-water mark, after which a PUSH producer's `send` waits: a PULL
 * source never drops. A PUB publisher, by ZeroMQ's design, drops messages for a subscriber that is
 * that far behind; nothing on our side can see those.
 *
 * On `stop`, messages already in our receive queue are still read (not lost with the socket);
 * messages still in the network or in the producer's queue stay with the producer.
 *
 * @example
 * const pull = new ZmqConnector({ endpoint: 'tcp://127.0.0.1:5555', pattern: 'pull', bind: true, topic: '' });
 */
export class ZmqConnector implements MessageConnector {
  readonly description: string;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly topic: Buffer;

  constructor(private readonly opts: ZmqConnectorOptions) {
    this.description = `zmq ${opts.pattern} ${opts.bind ? 'bind' : 'connect'} ${opts.endpoint}${opts.pattern === 'sub' && opts.topic !== '' ? ` topic ${JSON.stringify(opts.topic)}` : ''}`;
    this.topic = Buffer.from(opts.topic, 'utf8');
  }

  async start(sink: MessageSink): Promise<void> {
    const o = this.opts;
    const socket = o.pattern === 'pull' ? new Pull() : new Subscriber();
    socket.receiveTimeout = POLL_MS;
    // Closing must not wait for anything: we only receive.
    socket.linger = 0;
    if (o.receiveHighWaterMark !== undefined) socket.receiveHighWaterMark = o.receiveHighWaterMark;
    if (socket instanceof Subscriber) socket.subscribe(o.topic);
    try {
      if (o.bind) await socket.bind(o.endpoint);
      else socket.connect(o.endpoint);
    } catch (err) {
      socket.close();
      throw new Error(`${this.description}: ${(err as Error).message}`);
    }
    this.loop = this.run(socket, sink).catch((err: unknown) => sink.fail(err));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(socket: Pull | Subscriber, sink: MessageSink): Promise<void> {
    try {
      while (!this.stopping) {
        if (sink.paused) {
          await sink.ready();
          continue;
        }
        const frames = await receiveOrTimeout(socket);
        if (frames !== undefined) sink.message(this.payload(frames));
      }
      // Drain what ZeroMQ already holds for us, without waiting for more.
      socket.receiveTimeout = 0;
      for (;;) {
        const frames = await receiveOrTimeout(socket);
        if (frames === undefined) break;
        sink.message(this.payload(frames));
      }
    } finally {
      socket.close();
    }
  }

  private payload(frames: Buffer[]): Uint8Array {
    const last = frames[frames.length - 1]!;
    if (frames.length > 1 || this.opts.pattern !== 'sub' || this.topic.length === 0) return last;
    if (last.length < this.topic.length || last.compare(this.topic, 0, this.topic.length, 0, this.topic.length) !== 0) return last;
    const cut = last[this.topic.length] === 0x20 ? this.topic.length + 1 : this.topic.length;
    return last.subarray(cut);
  }
}

/** The next message, or undefined when the receive timed out (EAGAIN). */
async function receiveOrTimeout(socket: { receive(): Promise<Buffer[]> }): Promise<Buffer[] | undefined> {
  try {
    return await socket.receive();
  } catch (err) {
    if ((err as { code?: string }).code === 'EAGAIN') return undefined;
    throw err;
  }
}
