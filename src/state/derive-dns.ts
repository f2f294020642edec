/**
 * Inventory → desired DNS rrsets (pure). For every guest, in (cluster, vmid) order:
 *
 *  * Skipped whole: templates; guests tagged `tags.ignore` (opt-out); without `tags.require` when
 *    it is set (opt-in); guests without a name (only `status: unknown` ones lack it) and guests
 *    whose details could not be read and that have no last-known address — these two are also
 *    listed in `held`, as are (from an incomplete inventory) guests applied before that are
 *    missing from a cluster whose guest list failed. Held guests' records are kept: carried
 *    over from `opts.previous` (derive-held.ts) and never deleted (delete-guard.ts).
 *  * Skipped per address: interfaces matching `ignoreInterfaces`; loopback, link-local,
 *    multicast, unspecified, broadcast and IPv4-mapped addresses; `skipCidrs`; addresses no
 *    mapping covers; names that cannot be made valid (dns-names.ts).
 *  * Each remaining address goes to the zone of the most specific mapping CIDR that contains it
 *    (equal prefixes: the zone that sorts first), under the guest's FQDN in that zone.
 *  * Status does not matter: a stopped guest keeps the records of the addresses the inventory
 *    still has for it (the collector reports its last known / configured addresses). Its records
 *    go away only when its addresses or the guest itself leave a complete inventory.
 *  * Conflicts (same IP or same FQDN for several guests) are resolved by conflicts.ts.
 *  * A and AAAA: one rrset per name and type holding all the winner's addresses. PTR (when
 *    `ptr`): one per address, in the most specific existing reverse zone, pointing at the FQDN.
 *
 * Output is sorted (rrsets by zone/name/type, records sorted) and independent of input order.
 */
import { type Claim, resolveClaims } from "./conflicts.ts";
import { carryHeld, guestSkipReason } from "./derive-held.ts";
import { guestFqdn, type NameResult } from "./dns-names.ts";
import { addressSkipReason, compileRules, type DnsRules, type Skip, zoneFor } from "./dns-rules.ts";
import { formatIp, parseIp } from "./ip.ts";
import {
  type Conflict,
  type GuestKey,
  type GuestNic,
  guestKey,
  type Inventory,
  type RRset,
} from "./model.ts";
import { cmp, compareGuestKeys, compareRRsets } from "./normalize.ts";
import { mostSpecificZone, reverseNameOf } from "./reverse.ts";

export type { DnsRules, Skip } from "./dns-rules.ts";

export interface DeriveResult {
  rrsets: RRset[];
  conflicts: Conflict[];
  skipped: Skip[];
  /**
   * Guests whose records could not be derived this cycle and must be kept (never deleted): with
   * `previous`, their last applied A/AAAA records are carried into `rrsets` (and their claims
   * into conflict resolution, so a loser never takes a held winner's name).
   */
  held: GuestKey[];
  /** Problems in the rules themselves (e.g. a bad CIDR), which were left out. */
  errors: string[];
}

export interface DeriveOptions {
  /**
   * The rrsets pipam applied last, with `guests` (its reconciled state). Held guests — status
   * unknown without a name, details unreadable without an address, and, from an incomplete
   * inventory, guests missing from a cluster whose guest list failed — keep these records.
   */
  previous?: Iterable<RRset>;
}

export function deriveDns(inv: Inventory, rules: DnsRules, opts: DeriveOptions = {}): DeriveResult {
  const r = compileRules(rules);
  const skipped: Skip[] = [];
  const held: GuestKey[] = [];
  const claims: Claim[] = [];
  const guests = [...inv.guests].sort((a, b) => cmp(a.cluster, b.cluster) || a.vmid - b.vmid);

  for (const g of guests) {
    const key = guestKey(g.cluster, g.vmid);
    const whole = guestSkipReason(g, r.ignoreTag, r.requireTag);
    if (whole) {
      skipped.push({ guest: key, reason: whole.reason });
      if (whole.hold) held.push(key);
      continue;
    }
    const seen = new Set<string>();
    const names = new Map<string, NameResult>();
    // addresses on interfaces that count come first: an address seen on both kinds counts
    const isIgnored = (n: GuestNic) => r.ignoreInterfaces.some((re) => re.test(n.name));
    const nics = [...g.nics.filter((n) => !isIgnored(n)), ...g.nics.filter(isIgnored)];
    for (const nic of nics) {
      const ignored = isIgnored(nic);
      for (const a of nic.addresses) {
        const addr = parseIp(a.ip);
        if (!addr) {
          skipped.push({ guest: key, ip: a.ip, reason: "not an IP address" });
          continue;
        }
        const ip = formatIp(addr);
        if (seen.has(ip)) continue;
        seen.add(ip);
        if (ignored) {
          skipped.push({ guest: key, ip, reason: `interface ${nic.name} is ignored` });
          continue;
        }
        const why = addressSkipReason(addr, r);
        if (why) {
          skipped.push({ guest: key, ip, reason: why });
          continue;
        }
        const zone = zoneFor(addr, r);
        if (!zone) {
          skipped.push({ guest: key, ip, reason: "no [mapping] network contains it" });
          continue;
        }
        let name = names.get(zone);
        if (!name) {
          name = guestFqdn(g.name, zone);
          names.set(zone, name);
        }
        if (name.error !== undefined) {
          skipped.push({ guest: key, ip, reason: name.error });
          continue;
        }
        claims.push({ guest: key, ip, family: addr.family, zone, fqdn: name.fqdn });
      }
    }
  }

  if (opts.previous && (held.length > 0 || !inv.complete))
    carryHeld(inv, opts.previous, held, skipped, claims);
  held.sort(compareGuestKeys);

  const { kept, conflicts } = resolveClaims(claims);
  const rrsets = buildRRsets(kept, r.ttl);
  if (r.ptr) {
    for (const c of kept) {
      const name = reverseNameOf(c.ip) ?? "";
      const zone = mostSpecificZone(name, r.reverseZones);
      if (!zone) {
        skipped.push({
          guest: c.guest,
          ip: c.ip,
          reason: "no PTR: no reverse zone on the server contains it",
        });
        continue;
      }
      rrsets.push({ zone, name, type: "PTR", ttl: r.ttl, records: [c.fqdn], guests: [c.guest] });
    }
  }
  rrsets.sort(compareRRsets);
  skipped.sort(
    (a, b) => compareGuestKeys(a.guest, b.guest) || cmp(a.ip ?? "", b.ip ?? "") || cmp(a.reason, b.reason),
  );
  return { rrsets, conflicts, skipped, held, errors: r.errors };
}

/** One A / AAAA rrset per (zone, name, type) with every kept address. */
function buildRRsets(kept: readonly Claim[], ttl: number): RRset[] {
  const byId = new Map<string, RRset>();
  for (const c of kept) {
    const type = c.family === 4 ? "A" : "AAAA";
    const id = `${c.zone}|${c.fqdn}|${type}`;
    const rr = byId.get(id);
    if (rr) {
      rr.records.push(c.ip);
      if (!rr.guests?.includes(c.guest)) rr.guests?.push(c.guest);
    } else {
      byId.set(id, { zone: c.zone, name: c.fqdn, type, ttl, records: [c.ip], guests: [c.guest] });
    }
  }
  const out = [...byId.values()];
  for (const rr of out) {
    rr.records.sort(); // string order, as normalizeRRset sorts current rrsets
    rr.guests?.sort(compareGuestKeys);
  }
  return out;
}
