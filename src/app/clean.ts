/**
 * `pipam clean`: removes what this instance owns (never anything else). Without an inventory,
 * every rrset carrying our owner id in the managed zones; with one (`--collect`), only the rrsets
 * those guests' records would be, if we own them (the pure part is state/plan.ts planClean).
 */
import type { NetboxProvider } from "../providers/ipam/netbox/index.ts";
import type { ApplyResult } from "../providers/provider.ts";
import type { DnsTarget } from "../reconcile/reconciler.ts";
import { deriveDns } from "../state/derive-dns.ts";
import type { IpamChanges, IpamRef, IpamVm } from "../state/ipam-types.ts";
import { type Changes, emptyChanges, type Inventory, type RRset } from "../state/model.ts";
import { planClean as planCleanPure } from "../state/plan.ts";

export async function planClean(
  dns: DnsTarget,
  inventory: Inventory | undefined,
  signal: AbortSignal,
): Promise<Changes<RRset>> {
  const current = await dns.provider.records(signal);
  if (!inventory) return planCleanPure(current, dns.ownerId);
  const reverseZones = dns.rules.ptr
    ? (await dns.provider.zones(signal)).filter((z) => z.endsWith(".arpa."))
    : [];
  const targets = deriveDns(inventory, { ...dns.rules, reverseZones }).rrsets;
  return planCleanPure(current, dns.ownerId, targets);
}

export async function applyClean(
  dns: DnsTarget,
  changes: Changes<RRset>,
  signal: AbortSignal,
): Promise<ApplyResult<RRset>> {
  if (changes.delete.length === 0) return { applied: 0, failed: [], writes: 0 };
  return dns.provider.apply({ ...emptyChanges<RRset>(), delete: changes.delete }, signal);
}

export interface NetboxCleanPlan {
  tag: string;
  /** Everything tagged (plain `clean`) or only the collected guests' VMs (`--collect`). */
  all: boolean;
  vms: IpamVm[];
}

/** NetBox part of clean: the tagged VMs, or those of the collected guests (by Proxmox identity). */
export async function planNetboxClean(
  netbox: NetboxProvider,
  tag: string,
  inventory: Inventory | undefined,
  signal: AbortSignal,
): Promise<NetboxCleanPlan> {
  const current = await netbox.read(signal);
  const tagged = current.vms.filter((v) => v.tagged);
  if (!inventory) return { tag: tag, all: true, vms: tagged };
  const keys = new Set(inventory.guests.map((g) => `${g.cluster}/${g.vmid}`));
  return { tag: tag, all: false, vms: tagged.filter((v) => v.key !== undefined && keys.has(v.key)) };
}

export async function applyNetboxClean(
  netbox: NetboxProvider,
  plan: NetboxCleanPlan,
  signal: AbortSignal,
): Promise<ApplyResult<IpamRef>> {
  if (plan.all) return netbox.clean(signal);
  if (plan.vms.length === 0) return { applied: 0, failed: [], writes: 0 };
  // Deleting a VM removes its interfaces, and with them their IPs and MAC objects.
  const none = () => ({ create: [], updateOld: [], updateNew: [], delete: [] });
  const changes: IpamChanges = {
    clusters: [],
    vms: { ...none(), delete: plan.vms },
    interfaces: none(),
    macs: none(),
    ips: none(),
    conflicts: [],
  };
  return netbox.apply(changes, signal);
}
