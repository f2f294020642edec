/**
 * Pure mapping from Proxmox responses to the shared model: merges live interfaces (agent / LXC)
 * with the NICs declared in the config, and builds a Guest from a list entry plus details.
 *
 * Decision: the collector reports every address it saw (loopback, link-local, docker bridges)
 * with its source; filtering is derive's job (DESIGN.md "Derive … Filters"). That keeps
 * `pipam output` truthful and lets filters change without re-collecting.
 */
import type { Guest, GuestAddress, GuestNic } from "../../state/model.ts";
import type { ConfigNic } from "./parse-config.ts";
import type { ResourceEntry } from "./parse-resources.ts";

export type { ConfigNic, ParsedConfig } from "./parse-config.ts";
export { agentEnabled, parseGuestConfig, parsePropertyString, splitTags } from "./parse-config.ts";
export type { InterfacesResult } from "./parse-interfaces.ts";
export { parseAgentInterfaces, parseLxcInterfaces } from "./parse-interfaces.ts";
export type { ResourceEntry } from "./parse-resources.ts";
export { parseResources } from "./parse-resources.ts";

function configNic(c: ConfigNic): GuestNic {
  const nic: GuestNic = { name: c.guestName ?? c.key, addresses: c.addresses };
  if (c.mac !== undefined) nic.mac = c.mac;
  return nic;
}

/**
 * `live` undefined: no live data (stopped, agent off or failing) → the config NICs.
 * Otherwise every live NIC, where a live NIC with no address at all gets the configured
 * addresses of the config NIC with the same MAC, plus config NICs whose MAC no live NIC has
 * (matched by MAC, case-insensitively — guest-side names like `ens18` never match `net0`).
 */
export function mergeNics(config: ConfigNic[], live: GuestNic[] | undefined): GuestNic[] {
  if (live === undefined) return config.map(configNic);
  const byMac = new Map<string, ConfigNic>();
  for (const c of config) if (c.mac !== undefined && !byMac.has(c.mac)) byMac.set(c.mac, c);
  const liveMacs = new Set<string>();
  const out: GuestNic[] = live.map((n) => {
    if (n.mac === undefined) return n;
    liveMacs.add(n.mac);
    const c = byMac.get(n.mac);
    if (c && n.addresses.length === 0 && c.addresses.length > 0) return { ...n, addresses: c.addresses };
    return n;
  });
  for (const c of config) {
    if (c.mac !== undefined && liveMacs.has(c.mac)) continue;
    if (c.mac === undefined && c.addresses.length === 0) continue;
    out.push(configNic(c));
  }
  return out;
}

export interface GuestDetails {
  nics: GuestNic[];
  /** Config name (QEMU `name` / LXC `hostname`), used when the list entry has none. */
  name?: string;
  tags?: string[];
  detailsAt?: number;
  error?: string;
}

export function buildGuest(cluster: string, e: ResourceEntry, d: GuestDetails | undefined): Guest {
  const g: Guest = {
    cluster,
    node: e.node,
    vmid: e.vmid,
    type: e.type,
    name: e.name || d?.name || "",
    status: e.status,
    template: e.template,
    tags: e.tags.length > 0 || e.name !== undefined ? e.tags : (d?.tags ?? []),
    nics: d?.nics ?? [],
  };
  if (d?.error !== undefined) g.error = d.error;
  if (d?.detailsAt !== undefined) g.detailsAt = d.detailsAt;
  return g;
}

/** Every address of a guest, flattened (for tests and output). */
export function guestAddresses(g: Pick<Guest, "nics">): GuestAddress[] {
  return g.nics.flatMap((n) => n.addresses);
}
