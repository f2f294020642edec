/**
 * Never delete on a failed or partial read. `deleteGuard` builds the `allowDelete` predicate for
 * `plan`: an owned rrset that is no longer desired may be deleted only when
 *
 *  * none of its guests is `held` by derive (status unknown without a name, details unreadable
 *    with no known address), and
 *  * the inventory is complete, or — when it is not — every guest of the rrset is known and
 *    belongs to a cluster whose guest list was read (no CollectError without a vmid for it).
 *    Unknown guests (no record of who the rrset was for) are never deleted from a partial read.
 *
 * The guests of a current rrset come from its own `guests` or from `previous` (the reconciled
 * state pipam keeps: what it applied, with guests), matched by name and type.
 */
import type { GuestKey, Inventory, RRset } from "./model.ts";
import { normalizeName } from "./normalize.ts";

export function deleteGuard(
  inv: Pick<Inventory, "complete" | "errors">,
  held: readonly GuestKey[],
  previous: Iterable<RRset> = [],
): (rr: RRset) => boolean {
  const heldSet = new Set(held);
  const guestsOf = new Map<string, GuestKey[]>();
  for (const p of previous) if (p.guests) guestsOf.set(key(p), p.guests);
  const failedClusters = new Set(inv.errors.filter((e) => e.vmid === undefined).map((e) => e.cluster));
  return (rr) => {
    const guests = rr.guests ?? guestsOf.get(key(rr)) ?? [];
    if (guests.some((g) => heldSet.has(g))) return false;
    if (inv.complete) return true;
    if (guests.length === 0 || failedClusters.size === 0) return false;
    return guests.every((g) => !failedClusters.has(g.slice(0, g.lastIndexOf("/"))));
  };
}

function key(rr: Pick<RRset, "name" | "type">): string {
  return `${normalizeName(rr.name)}|${rr.type}`;
}
