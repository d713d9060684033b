import type { Readable } from 'zeromq';

/**
 * Receive messages from a socket until it is closed, handing each to `handle` in turn. An EAGAIN
 * from `receive` on an open socket is retried: zeromq.js can report readiness (on a CURVE
 * handshake, for one) that turns out to carry no message, and that must not end the loop.
 */
export async function receiveLoop(socket: Readable & { readonly closed: boolean }, handle: (msg: Buffer[]) => Promise<void> | void): Promise<void> {
  for (;;) {
    if (socket.closed) return;
    let msg: Buffer[];
    try {
      msg = await socket.receive();
    } catch (err) {
      if (socket.closed) return;
      if ((err as { code?: string }).code === 'EAGAIN') continue;
      throw err;
    }
    await handle(msg);
  }
}
