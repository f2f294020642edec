/**
 * `pipam clean`: removes what this instance owns (never anything else). Without an inventory,
 * every rrset carrying our owner id in the managed zones; with one (`--collect`), only the rrsets
 * those guests' records would be, if we own them (the pure part is state/plan.ts planClean).
 */
import type { ApplyResult } from "../providers/provider.ts";
import type { DnsTarget } from "../reconcile/reconciler.ts";
import { deriveDns } from "../state/derive-dns.ts";
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
