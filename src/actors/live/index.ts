/**
 * `tributary live`: the compiled pipeline of a feature set, fed by live transports (ZeroMQ PULL/SUB,
 * WebSocket) or by following the event log, with the log written first. See README.md here for the
 * guarantees (durability, backpressure, idle sources, replay equivalence).
 */
export { startLive, type LiveOptions, type LiveRun, type LiveSummary } from './runLive.js';
export type { LiveCounters, SourceCounters } from './counters.js';
export type { MessageConnector, MessageSink } from './connectors/types.js';
export { ZmqConnector, type ZmqConnectorOptions } from './connectors/zmq.js';
export { WebSocketConnector, type WebSocketConnectorOptions } from './connectors/webSocket.js';
export { connectWebSocket, type WebSocketConnection, type WebSocketHandlers } from './connectors/webSocketClient.js';
export { messageDecoder, type MessageFormat } from './decode/message.js';
export { LiveRows } from './liveRows.js';
export { flushDue, flushWaitMs, type FlushPolicy, type FlushReason } from './flushRule.js';
export { queueMarks, shouldPause, type QueueMarks } from './backpressure.js';
export { idleWatermarkDue } from './idleWatermark.js';
