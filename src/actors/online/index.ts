/**
 * Online fetch: the latest feature vector of one or many keys, from the feature store, over ZeroMQ
 * (ROUTER) and HTTP, with derived features computed at fetch time. The client is src/sdk/onlineClient.ts.
 *
 * @example
 * const server = await startOnlineServer(store, compiled, { zmq: 'tcp://127.0.0.1:5560', http: 8080 });
 */
export { startOnlineServer, type OnlineServer, type OnlineServerOptions } from './onlineServer.js';
export { OnlineFetcher, errorReply, type FetchReply, type FeatureValues, type OnlineFetcherOptions } from './onlineFetcher.js';
export { serveZmq, type ZmqEndpoint, type RequestHandler } from './zmqEndpoint.js';
export { serveHttp, getRequest, type HttpEndpoint, type HttpEndpointOptions } from './httpEndpoint.js';
export { parseFetchRequest, checkFetchRequest, RequestError, DEFAULT_LIMITS, type FetchRequest, type RequestLimits } from './request.js';
export { evaluateDerived, type FetchTimeDerived, type FetchedColumn } from './derivedAtFetch.js';
