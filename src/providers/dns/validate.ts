/**
 * Pure checks of one requested change before anything is sent: the zone is managed, the name is
 * in it, the type/TTL/contents are valid, and the rrset is pipam's to change (ownership). Returns
 * the reason a change is refused, or undefined when it may be sent.
 */
import type { RRset } from "../../state/model.ts";
import { inZone, normalizeContent, normalizeName, rrsetKey } from "./rrset.ts";

export type ChangeKind = "create" | "update" | "delete";

export interface ValidateContext {
  ownerId: string;
  /** Managed zones (normalised). */
  managed: ReadonlySet<string>;
  /**
   * Owners seen by the last read, per zone then rrset key (`null` = present but not marked).
   * A zone absent from this map was not read yet: nothing is known about it.
   */
  seen: ReadonlyMap<string, ReadonlyMap<string, string | null>>;
}

const MAX_TTL = 2 ** 31 - 1;

export function refuseReason(
  kind: ChangeKind,
  rr: RRset,
  old: RRset | undefined,
  ctx: ValidateContext,
): string | undefined {
  const zone = normalizeName(rr.zone);
  if (!ctx.managed.has(zone)) return `zone ${zone} is not managed by this pipam`;
  if (!inZone(rr.name, zone)) return `${rr.name} is not inside zone ${zone}`;
  if (normalizeName(rr.name) === zone && kind !== "delete" && rr.type === "PTR") {
    return `refusing a PTR at the apex of ${zone}`;
  }
  if (rr.type !== "A" && rr.type !== "AAAA" && rr.type !== "PTR") return `type ${rr.type} is not managed`;
  if (kind !== "delete") {
    if (!Number.isInteger(rr.ttl) || rr.ttl < 0 || rr.ttl > MAX_TTL) return `invalid TTL ${rr.ttl}`;
    if (rr.records.length === 0) return "no records (an rrset without records must be deleted instead)";
    for (const c of rr.records) {
      if (rr.type !== "PTR" && normalizeContent(rr.type, c) === undefined) {
        return `invalid ${rr.type} content ${JSON.stringify(c)}`;
      }
    }
  }
  const mine = ctx.ownerId;
  if (kind === "delete" && rr.owner !== mine) {
    return `not owned by ${mine} (owner: ${rr.owner ?? "none, created by hand"}); refusing to delete`;
  }
  if (kind === "update" && old?.owner !== mine) {
    return `not owned by ${mine} (owner: ${old?.owner ?? "none"}); refusing to update`;
  }
  const seenOwner = ctx.seen.get(zone)?.get(rrsetKey(rr));
  if (seenOwner !== undefined && seenOwner !== mine) {
    return `${rrsetKey(rr)} exists and belongs to ${seenOwner ?? "no one (created by hand)"}; not touching it`;
  }
  return undefined;
}
