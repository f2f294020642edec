/**
 * Collection of guests from Proxmox VE. The public surface for the CLI, the reconcile loop and
 * `pipam health`; everything else under collect/ is internal.
 */
export type { ProxmoxClient, ProxmoxEndpoint } from "./proxmox/client.ts";
// Below: for tools and tests (benchmarks, the demo, `pipam output` helpers).
export { createProxmoxClient } from "./proxmox/client.ts";
export type { ProxmoxSourceOptions, Source } from "./proxmox/collector.ts";
export { createProxmoxSource } from "./proxmox/collector.ts";
export { checkProxmox } from "./proxmox/health.ts";
export { guestAddresses } from "./proxmox/map.ts";
