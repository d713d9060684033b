import type { Writable } from 'zeromq';

/**
 * Sends on one ZeroMQ socket, one at a time: zeromq.js refuses a send while another is pending on
 * the same socket, and heartbeats, credits and replies are sent from different tasks.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly socket: Writable) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}
