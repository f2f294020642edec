/**
 * Guests that make no records this cycle (filters) and guests that are held: their last applied
 * records are carried over instead of being derived (see NAMES.md, "Stopped and unknown guests").
 */
import type { Claim } from "./conflicts.ts";
import type { Skip } from "./dns-rules.ts";
import { formatIp, parseIp } from "./ip.ts";
import { type Guest, type GuestKey, guestKey, type Inventory, type RRset } from "./model.ts";

/**
 * Adds the last applied A/AAAA addresses of held guests as claims. From an incomplete inventory,
 * guests that were applied before and are not listed now are held too when their cluster's guest
 * list failed (or when no failed cluster is named: then every missing guest is held).
 */
export function carryHeld(
  inv: Inventory,
  previous: Iterable<RRset>,
  held: GuestKey[],
  skipped: Skip[],
  claims: Claim[],
) {
  const prevByGuest = new Map<GuestKey, RRset[]>();
  for (const rr of previous) {
    if (rr.type !== "A" && rr.type !== "AAAA") continue;
    for (const g of rr.guests ?? []) {
      const list = prevByGuest.get(g);
      if (list) list.push(rr);
      else prevByGuest.set(g, [rr]);
    }
  }
  if (!inv.complete) {
    const present = new Set(inv.guests.map((g) => guestKey(g.cluster, g.vmid)));
    const failed = new Set(inv.errors.filter((e) => e.vmid === undefined).map((e) => e.cluster));
    for (const key of prevByGuest.keys()) {
      if (present.has(key)) continue;
      const cluster = key.slice(0, key.lastIndexOf("/"));
      if (failed.size > 0 && !failed.has(cluster)) continue;
      held.push(key);
      skipped.push({
        guest: key,
        reason: `not listed: the guest list of ${cluster} was not read; its records are kept`,
      });
    }
  }
  for (const key of held) {
    for (const rr of prevByGuest.get(key) ?? []) {
      for (const rec of rr.records) {
        const ip = parseIp(rec);
        if (!ip) continue;
        claims.push({ guest: key, ip: formatIp(ip), family: ip.family, zone: rr.zone, fqdn: rr.name });
      }
    }
  }
}

export function guestSkipReason(
  g: Guest,
  ignoreTag: string,
  requireTag: string | undefined,
): { reason: string; hold: boolean } | undefined {
  const tags = g.tags.map((t) => t.toLowerCase());
  if (g.name.trim() === "") {
    return g.status === "unknown"
      ? { reason: "status unknown and no name known; its records are kept", hold: true }
      : { reason: "guest has no name", hold: false };
  }
  if (g.template) return { reason: "template", hold: false };
  if (tags.includes(ignoreTag)) return { reason: `tagged ${ignoreTag} (opt-out)`, hold: false };
  if (requireTag !== undefined && !tags.includes(requireTag)) {
    return { reason: `not tagged ${requireTag} (opt-in required)`, hold: false };
  }
  if (g.error !== undefined && g.nics.every((n) => n.addresses.length === 0)) {
    return {
      reason: `details unreadable (${g.error}) and no address known; its records are kept`,
      hold: true,
    };
  }
  return undefined;
}
