/**
 * Lazy access to the Proxmox collector (src/collect), so `--help` never loads it.
 * The shape below is the collector's public API as agreed in issue 2.
 */
import type { ProxmoxEndpoint } from "../config/index.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import type { Inventory } from "../state/model.ts";

export interface CollectModule {
  createProxmoxSource(
    endpoints: ProxmoxEndpoint[],
    opts: { logger: Logger; refreshMs?: number },
  ): { collect(signal: AbortSignal): Promise<Inventory> };
  checkProxmox(ep: ProxmoxEndpoint, signal: AbortSignal): Promise<HealthCheck[]>;
}

// Interim: a computed specifier until src/collect/index.ts is committed (a static one fails the
// build while the file does not exist). Switch to import("../collect/index.ts") once it lands.
const COLLECT = ["..", "collect", "index.ts"].join("/");

export async function loadCollect(): Promise<CollectModule> {
  return (await import(COLLECT)) as CollectModule;
}
