import type { Config, ProxmoxEndpoint } from "./types.ts";

/** The collector's view of the configured Proxmox clusters. */
export function toProxmoxEndpoints(cfg: Config): ProxmoxEndpoint[] {
  return cfg.proxmox.map((p) => ({
    name: p.name,
    url: p.url,
    tokenId: p.tokenId,
    secret: p.secret,
    insecure: p.insecure,
    ...(p.caFile !== undefined ? { caFile: p.caFile } : {}),
    ...(p.fingerprint !== undefined ? { fingerprint: p.fingerprint } : {}),
    timeoutMs: p.timeoutMs,
    concurrencyPerNode: p.concurrencyPerNode,
  }));
}

/** Every resolved secret in the config (so a logger can scrub them from any output). */
export function configSecrets(cfg: Config): string[] {
  const out = [
    ...cfg.proxmox.map((p) => p.secret),
    cfg.dns?.powerdns?.apiKey,
    cfg.ipam?.netbox?.token,
    cfg.raft.secret,
    cfg.raft.adminToken,
    cfg.server.token,
  ];
  return out.filter((s): s is string => typeof s === "string" && s.length >= 4);
}
