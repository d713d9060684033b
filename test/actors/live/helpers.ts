import { createServer } from 'node:net';
import { valueAt } from '../../../src/pipelines/data/column.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';

export { tempDir } from '../../helpers/tables.js';

export type Row = Record<string, string | number | boolean | null>;

/** Batches as plain rows: `time`, `offset` (when set) and every column decoded. For assertions only. */
export function rowsOf(batches: readonly Batch[]): Row[] {
  const rows: Row[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const row: Row = { time: b.time[i]! };
      if (b.offsets !== undefined) row.offset = b.offsets[i]!;
      for (const [name, c] of Object.entries(b.columns)) row[name] = valueAt(c, i);
      rows.push(row);
    }
  }
  return rows;
}

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `check()` is true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

import type { MessageConnector, MessageSink } from '../../../src/actors/live/connectors/types.js';

/** A transport the test drives by hand: `send` delivers a message as if it came off a socket. */
export class HandConnector implements MessageConnector {
  readonly description = 'by hand';
  private sink: MessageSink | undefined;
  async start(sink: MessageSink): Promise<void> {
    this.sink = sink;
  }
  async stop(): Promise<void> {}
  send(payload: string | Uint8Array): void {
    if (this.sink === undefined) throw new Error('not started');
    this.sink.message(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
  }
  get paused(): boolean {
    return this.sink?.paused ?? false;
  }
}
