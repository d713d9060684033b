import type { LiveSourceConfig } from '../../../sdk/config/types.js';
import type { MessageFormat } from '../decode/message.js';
import type { MessageConnector } from './types.js';
import { WebSocketConnector } from './webSocket.js';
import { ZmqConnector } from './zmq.js';

/**
 * The transport a source's `live:` section names, and the format of its messages; undefined for
 * `tail`, which follows the log instead.
 *
 * @example
 * connectorFor(config.sources.trades.live!); // { connector: ZmqConnector(...), format: 'jsonl' }
 */
export function connectorFor(live: LiveSourceConfig): { connector: MessageConnector; format: MessageFormat } | undefined {
  const c = live.connector;
  switch (c.kind) {
    case 'zmq':
      return { connector: new ZmqConnector({ endpoint: c.endpoint, pattern: c.pattern, bind: c.bind, topic: c.topic }), format: c.format };
    case 'websocket':
      return { connector: new WebSocketConnector({ url: c.url, maxMessageBytes: live.maxMessageBytes }), format: c.format };
    case 'tail':
      return undefined;
  }
}
