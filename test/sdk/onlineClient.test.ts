import { Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { OnlineClient, OnlineFetchError } from '../../src/sdk/onlineClient.js';

/** A stand-in server on a real ROUTER socket over loopback, so the client is tested on its own. */
async function fakeServer(): Promise<{ endpoint: string; router: Router; next: () => Promise<Buffer[]> }> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  return { endpoint: router.lastEndpoint!, router, next: () => router.receive() };
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

describe('OnlineClient', () => {
  it('sends a REQ-style envelope and matches replies to requests by id, whatever their order', async () => {
    const server = await fakeServer();
    open.push(server.router);
    const client = await OnlineClient.connect(server.endpoint);
    open.push(client);
    const replies = ['c1', 'c2', 'c3'].map((card) => client.fetch({ card_id: card }, ['n']));
    const received: Buffer[][] = [];
    for (let i = 0; i < 3; i++) received.push(await server.next());
    for (const frames of received) {
      expect(frames).toHaveLength(3);
      expect(frames[1]!.length).toBe(0); // the empty delimiter
    }
    // Answer in reverse order, each with the card's number.
    for (const frames of received.reverse()) {
      const req = JSON.parse(frames[2]!.toString()) as { id: number; keys: { card_id: string } };
      await server.router.send([frames[0]!, '', JSON.stringify({ id: req.id, values: { n: Number(req.keys.card_id.slice(1)) } })]);
    }
    expect(await Promise.all(replies)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('turns an error reply into an OnlineFetchError, and unwraps many-key replies', async () => {
    const server = await fakeServer();
    open.push(server.router);
    const client = await OnlineClient.connect(server.endpoint);
    open.push(client);
    const bad = client.fetch({ card_id: 'c1' }, ['spnd']);
    let frames = await server.next();
    let id = (JSON.parse(frames[2]!.toString()) as { id: number }).id;
    await server.router.send([frames[0]!, '', JSON.stringify({ id, error: 'unknown feature "spnd"; did you mean "spend"?' })]);
    await expect(bad).rejects.toThrow(OnlineFetchError);
    await expect(bad).rejects.toThrow(/did you mean "spend"/);

    const many = client.fetch([{ card_id: 'c1' }, { card_id: 'c2' }]);
    frames = await server.next();
    const req = JSON.parse(frames[2]!.toString()) as { id: number; keys: unknown; features?: unknown };
    expect(req.keys).toEqual([{ card_id: 'c1' }, { card_id: 'c2' }]);
    expect(req.features).toBeUndefined();
    id = req.id;
    await server.router.send([frames[0]!, '', JSON.stringify({ id, results: [{ values: { a: 1 } }, { values: { a: null } }] })]);
    expect(await many).toEqual([{ a: 1 }, { a: null }]);
  });

  it('fails a request that gets no reply in time, and pending requests on close', async () => {
    const server = await fakeServer();
    open.push(server.router);
    const client = await OnlineClient.connect(server.endpoint, { timeoutMs: 100 });
    await expect(client.fetch({ card_id: 'c1' })).rejects.toThrow(/no reply from tcp:\/\/127\.0\.0\.1:\d+ within 100 ms/);
    const other = await OnlineClient.connect(server.endpoint);
    const pending = other.fetch({ card_id: 'c1' });
    await server.next();
    await other.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(other.fetch({ card_id: 'c1' })).rejects.toThrow(/closed/);
    await client.close();
  });
});
