/**
 * Conflicts and the one rule that resolves them.
 *
 * The rule: **the guest with the lowest identity wins** — cluster name (code-point order), then
 * vmid (numeric). It depends only on who exists, never on status, uptime or input order, so the
 * winner stays the winner for as long as both guests exist: no flapping. Losers get no records
 * for what they lost, and every conflict is reported.
 *
 * Order: IP conflicts first (one IP claimed by several guests: the winner keeps the IP, losers
 * lose that address), then FQDN conflicts among what is left (several guests want one name: the
 * winner keeps the name, losers get no records under it). A name held at the provider by rrsets
 * pipam does not own (created by hand, or by another owner id) is never written: every desired
 * rrset at that name is dropped and reported as a `foreign` conflict (see `foreignNames`).
 */
import type { Conflict, GuestKey, RRset } from "./model.ts";
import { cmp, compareGuestKeys } from "./normalize.ts";

/** One guest wanting one address under one name. */
export interface Claim {
  guest: GuestKey;
  /** Canonical IP text. */
  ip: string;
  family: 4 | 6;
  zone: string;
  fqdn: string;
}

export interface Resolution {
  kept: Claim[];
  conflicts: Conflict[];
}

/** Applies the rule to a set of claims. The result does not depend on the order of `claims`. */
export function resolveClaims(claims: readonly Claim[]): Resolution {
  const conflicts: Conflict[] = [];
  const afterIp = contest(claims, (c) => c.ip, "ip", conflicts);
  const kept = contest(afterIp, (c) => c.fqdn, "fqdn", conflicts);
  conflicts.sort(compareConflicts);
  return { kept, conflicts };
}

function contest(
  claims: readonly Claim[],
  subjectOf: (c: Claim) => string,
  kind: "ip" | "fqdn",
  out: Conflict[],
): Claim[] {
  const bySubject = new Map<string, Claim[]>();
  for (const c of claims) {
    const s = subjectOf(c);
    const list = bySubject.get(s);
    if (list) list.push(c);
    else bySubject.set(s, [c]);
  }
  const kept: Claim[] = [];
  for (const [subject, list] of bySubject) {
    if (list.length === 1) {
      kept.push(list[0] as Claim); // the common case: one claim, nothing to contest
      continue;
    }
    const guests = [...new Set(list.map((c) => c.guest))].sort(compareGuestKeys);
    const winner = guests[0];
    if (winner === undefined) continue;
    for (const c of list) if (c.guest === winner) kept.push(c);
    if (guests.length === 1) continue;
    const losers = guests.slice(1);
    const what = kind === "ip" ? `IP ${subject} is claimed` : `name ${subject} is wanted`;
    out.push({
      kind,
      subject,
      winner,
      losers,
      message: `${what} by ${guests.length} guests; ${winner} keeps it (lowest cluster/vmid wins), ${losers.join(", ")} ${losers.length === 1 ? "gets" : "get"} no records for it`,
    });
  }
  return kept;
}

/**
 * Names held at the provider by rrsets not owned by `ownerId` (any type, `owner` undefined =
 * created by hand), mapped to the owner seen ("" for none).
 */
export function foreignNames(current: readonly RRset[], ownerId: string): Map<string, string> {
  const held = new Map<string, string>();
  for (const rr of current) {
    if (rr.owner === ownerId) continue;
    if (!held.has(rr.name)) held.set(rr.name, rr.owner ?? "");
  }
  return held;
}

/** The `foreign` conflict reported for a desired rrset whose name is held by `owner`. */
export function foreignConflict(name: string, owner: string, guests: readonly GuestKey[]): Conflict {
  const by =
    owner === "" ? "records pipam does not own (no owner marker: created by hand)" : `owner ${owner}`;
  return {
    kind: "foreign",
    subject: name,
    losers: [...new Set(guests)].sort(compareGuestKeys),
    message: `${name} is held by ${by}; pipam leaves it alone and writes nothing at that name`,
  };
}

export function compareConflicts(a: Conflict, b: Conflict): number {
  return cmp(a.kind, b.kind) || cmp(a.subject, b.subject);
}
