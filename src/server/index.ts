/**
 * @module src/server: one fetch handler on one port: Connect RPC, the status page, ops endpoints.
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
export { createServer, type RunningServer, type ServerOptions } from "./server.ts";
export {
  type CycleKind,
  type CycleView,
  type DnsRecordView,
  emptySnapshot,
  type GuestView,
  guestState,
  type IpamObjectView,
  type NodeRole,
  type NodeView,
  type PeerView,
  type ProviderHealthView,
  type StatusSnapshot,
  type StatusSource,
  type SyncState,
} from "./status.ts";
