/**
 * Plan (pure), as external-dns's Plan.Calculate: desired and current rrsets in, Changes out.
 * Both sides are normalised first (lowercase absolute names, canonical AAAA, sorted records), so
 * only real differences (TTL, records, zone) become changes. Per rrset (zone, name, type):
 *
 *  * its name is held by a rrset pipam does not own (any type; no owner marker or another owner
 *    id) → nothing is written at that name, nor PTRs pointing at it; a `foreign` conflict is
 *    reported. An rrset of ours already there is left as it is.
 *  * absent → create (owner = ownerId); a desired rrset without records counts as not desired;
 *  * owned and different → update (updateOld = current, updateNew = desired);
 *  * owned, no longer desired → delete, but only when `allowDelete(rr)` says so; otherwise it is
 *    listed in `held` (e.g. the inventory was incomplete: see delete-guard.ts).
 *
 * Rrsets of other owners are never updated or deleted. Output lists are sorted.
 */
import { compareConflicts, foreignConflict, foreignNames } from "./conflicts.ts";
import { type Changes, type Conflict, emptyChanges, type GuestKey, type RRset } from "./model.ts";
import { compareRRsets, normalizeRRset, rrsetId, sameRecords } from "./normalize.ts";

export interface PlanOptions {
  /** Called for each owned rrset that is no longer desired; false keeps it. Default: allow. */
  allowDelete?: (rr: RRset) => boolean;
}

export interface PlanResult {
  changes: Changes<RRset>;
  /** Desired rrsets not written because their name is held by someone else. */
  conflicts: Conflict[];
  /** Owned rrsets that are no longer desired but were kept because `allowDelete` refused. */
  held: RRset[];
}

export function plan(
  desired: readonly RRset[],
  current: readonly RRset[],
  ownerId: string,
  opts: PlanOptions = {},
): PlanResult {
  const allowDelete = opts.allowDelete ?? (() => true);
  const cur = current.map(normalizeRRset).sort(compareRRsets);
  const want = desired.map(normalizeRRset).sort(compareRRsets);
  const foreign = foreignNames(cur, ownerId);
  const owned = new Map<string, RRset>();
  for (const c of cur) if (c.owner === ownerId && !owned.has(rrsetId(c))) owned.set(rrsetId(c), c);

  const changes = emptyChanges<RRset>();
  const matched = new Set<string>();
  const blocked = new Map<string, GuestKey[]>();
  const blockedFwd = new Set(want.filter((d) => d.type !== "PTR" && foreign.has(d.name)).map((d) => d.name));
  for (const d of want) {
    if (d.records.length === 0) continue; // an rrset without records is not wanted: it is absent
    const id = rrsetId(d);
    if (matched.has(id)) continue; // duplicate desired entry: the first one counts
    matched.add(id);
    const holder = foreign.get(d.name);
    // a PTR to a forward name held by someone else is not written either (it would point at
    // their records); it is reported with that name's conflict
    const target = d.type === "PTR" && d.records.every((t) => blockedFwd.has(t)) ? d.records[0] : undefined;
    if (holder !== undefined || target !== undefined) {
      const at = holder !== undefined ? d.name : (target as string);
      const list = blocked.get(at) ?? [];
      list.push(...(d.guests ?? []));
      blocked.set(at, list);
      continue;
    }
    const c = owned.get(id);
    const next: RRset = { ...d, owner: ownerId };
    if (!c) changes.create.push(next);
    else if (!sameRecords(c, d)) {
      changes.updateOld.push(c);
      changes.updateNew.push(next);
    }
  }
  const held: RRset[] = [];
  for (const [id, c] of owned) {
    if (matched.has(id)) continue;
    if (allowDelete(c)) changes.delete.push(c);
    else held.push(c);
  }
  const conflicts = [...blocked]
    .map(([name, guests]) => foreignConflict(name, foreign.get(name) ?? "", guests))
    .sort(compareConflicts);
  return { changes, conflicts, held };
}

/**
 * `pipam clean`: deletes of every rrset owned by `ownerId`, or — given `targets` (`clean
 * --collect`: the rrsets derived from a fresh collection) — of the owned rrsets with the same
 * zone, name and type as a target. Rrsets not owned are never deleted. Sorted.
 */
export function planClean(
  current: readonly RRset[],
  ownerId: string,
  targets?: readonly RRset[],
): Changes<RRset> {
  const wanted = targets ? new Set(targets.map((t) => rrsetId(normalizeRRset(t)))) : undefined;
  const changes = emptyChanges<RRset>();
  const seen = new Set<string>();
  for (const c of current.map(normalizeRRset).sort(compareRRsets)) {
    const id = rrsetId(c);
    if (c.owner !== ownerId || seen.has(id)) continue;
    seen.add(id);
    if (!wanted || wanted.has(id)) changes.delete.push(c);
  }
  return changes;
}
