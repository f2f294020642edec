/**
 * `pipam clean`: removes what this instance owns (never anything else). Without an inventory,
 * every rrset carrying our owner id in the managed zones; with one (`--collect`), only the rrsets
 * those guests' records would be, if we own them.
 */
import type { ApplyResult } from "../providers/provider.ts";
import type { DnsTarget } from "../reconcile/reconciler.ts";
import { deriveDns } from "../state/derive-dns.ts";
import { type Changes, emptyChanges, type Inventory, type RRset } from "../state/model.ts";

export async function planClean(
  dns: DnsTarget,
  inventory: Inventory | undefined,
  signal: AbortSignal,
): Promise<Changes<RRset>> {
  const current = await dns.provider.records(signal);
  const owned = current.filter((r) => r.owner === dns.ownerId);
  const changes = emptyChanges<RRset>();
  if (!inventory) {
    changes.delete = owned;
    return changes;
  }
  const reverseZones = dns.rules.ptr
    ? (await dns.provider.zones(signal)).filter((z) => z.endsWith(".arpa."))
    : [];
  const wanted = new Set(
    deriveDns(inventory, { ...dns.rules, reverseZones }).rrsets.map((r) => `${r.name}|${r.type}`),
  );
  changes.delete = owned.filter((r) => wanted.has(`${r.name}|${r.type}`));
  return changes;
}

export async function applyClean(
  dns: DnsTarget,
  changes: Changes<RRset>,
  signal: AbortSignal,
): Promise<ApplyResult<RRset>> {
  if (changes.delete.length === 0) return { applied: 0, failed: [], writes: 0 };
  return dns.provider.apply({ ...emptyChanges<RRset>(), delete: changes.delete }, signal);
}
