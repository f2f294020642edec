/** Lazy access to the Proxmox collector (src/collect), so `--help` never loads it. */
export type CollectModule = typeof import("../collect/index.ts");

export function loadCollect(): Promise<CollectModule> {
  return import("../collect/index.ts");
}
