/**
 * Collection of guests from Proxmox VE; everything else under collect/ is internal.
 * For the CLI, the reconcile loop and `pipam health`: ProxmoxEndpoint, Source,
 * createProxmoxSource, checkProxmox. For tools and tests (benchmarks, demo, output helpers):
 * createProxmoxClient, ProxmoxClient, guestAddresses.
 */
export type { ProxmoxClient, ProxmoxEndpoint } from "./proxmox/client.ts";
export { createProxmoxClient } from "./proxmox/client.ts";
export type { ProxmoxSourceOptions, Source } from "./proxmox/collector.ts";
export { createProxmoxSource } from "./proxmox/collector.ts";
export { checkProxmox } from "./proxmox/health.ts";
export { guestAddresses } from "./proxmox/map.ts";
