/**
 * @module src/server: one fetch handler on one port: Connect RPC, the status page, ops endpoints.
 *
 * Wiring (main.ts):
 *   const metrics = createMetrics({ version: PIPAM_VERSION, commit: PIPAM_COMMIT });
 *   const server = createServer({
 *     listen: cfg.server.listen,               // "127.0.0.1:9180" by default
 *     token,                                   // from [server] token / token_file, or undefined
 *     status,                                  // a StatusSource (reconcile loop / raft node)
 *     ready: () => healthChecks(signal),       // HealthCheck[]: config, providers, leader
 *     metrics, logger,
 *     rpcHandlers,                             // Map(requestPath → Connect fetch handler)
 *   });
 *   ...; await server.stop();
 */
export { createDemoStatusSource, type DemoStatusSource, demoGuest, demoSnapshot } from "./demo-status.ts";
export { guestViewsFromInventory } from "./from-inventory.ts";
export {
  CONTENT_SECURITY_POLICY,
  createFetchHandler,
  type FetchHandler,
  type FetchHandlerOptions,
  type RpcHandler,
} from "./handler.ts";
export { DEFAULT_LISTEN, type ListenAddress, parseListen } from "./listen.ts";
export { createMetrics, type Metrics, type MetricsOptions } from "./metrics.ts";
// Below: for tests of other modules (e.g. an end-to-end check that /metrics is valid).
export { type MetricFamily, type ParseResult, parsePrometheusText } from "./prom-text.ts";
export { createServer, type RunningServer, type ServerOptions } from "./server.ts";
export {
  type CycleKind,
  type CycleView,
  type DnsRecordView,
  emptySnapshot,
  type GuestView,
  guestState,
  type IpamObjectView,
  memoize,
  type NodeRole,
  type NodeView,
  type PeerView,
  type ProviderHealthView,
  type StatusSnapshot,
  type StatusSource,
  type SyncState,
} from "./status.ts";
