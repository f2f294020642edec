/**
 * What the tests expect in PowerDNS, computed independently of pipam's own derive code from the
 * simulator's scenario (only for the simple guests these tests build: one NIC, plain names,
 * every address inside the mapping), and a reader that splits the live zones into pipam's rrsets
 * (ownership comment with our owner id), foreign ones and duplicates.
 */
import ipaddr from "ipaddr.js";
import type { SimGuest } from "../../../src/sim/index.ts";
import type { TestPdns } from "../../../src/testing/pdns.ts";

/** "name|TYPE" → sorted record contents. */
export type RRMap = Map<string, string[]>;

export const key = (name: string, type: string) => `${name}|${type}`;

export function ptrName(ip: string): string {
  const a = ipaddr.parse(ip);
  if (a.kind() === "ipv4") return `${ip.split(".").reverse().join(".")}.in-addr.arpa.`;
  const hex = (a as ipaddr.IPv6)
    .toByteArray()
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return `${[...hex].reverse().join(".")}.ip6.arpa.`;
}

/** A/AAAA for every guest in `zone`, PTR for each address when `ptr`. */
export function expectedRecords(guests: readonly SimGuest[], zone: string, ptr: boolean): RRMap {
  const m: RRMap = new Map();
  const add = (k: string, v: string) => {
    const l = m.get(k) ?? [];
    if (!l.includes(v)) l.push(v);
    m.set(k, l.sort());
  };
  for (const g of guests) {
    if (g.template) continue;
    const fqdn = `${g.name.toLowerCase()}.${zone}`;
    for (const nic of g.nics) {
      for (const c of nic.ipv4 ?? []) {
        const ip = c.split("/")[0]!;
        add(key(fqdn, "A"), ip);
        if (ptr) add(key(ptrName(ip), "PTR"), fqdn);
      }
      for (const c of nic.ipv6 ?? []) {
        const ip = ipaddr.parse(c.split("/")[0]!).toString();
        add(key(fqdn, "AAAA"), ip);
        if (ptr) add(key(ptrName(ip), "PTR"), fqdn);
      }
    }
  }
  return m;
}

export interface ZoneView {
  /** rrsets carrying the ownership comment with `ownerId`. */
  owned: RRMap;
  /** owned rrsets' TTLs */
  ttl: Map<string, number>;
  /** every other rrset except SOA/NS (records made by hand, other owners, comment-less leftovers). */
  other: RRMap;
  /**
   * Problems: a (name, type) listed twice, a record twice in one rrset, several pipam comments,
   * a pipam comment left behind on an rrset without records.
   */
  problems: string[];
}

/** Reads the zones through the API and classifies their rrsets. */
export async function readZones(
  pdns: TestPdns,
  zones: readonly string[],
  ownerId: string,
): Promise<ZoneView> {
  const v: ZoneView = { owned: new Map(), ttl: new Map(), other: new Map(), problems: [] };
  for (const z of zones) {
    const zone = await pdns.zone(z);
    const seen = new Set<string>();
    for (const rs of zone.rrsets as (Awaited<ReturnType<TestPdns["zone"]>>["rrsets"][number] & {
      ttl: number;
    })[]) {
      if (rs.type === "SOA" || rs.type === "NS") continue;
      const k = key(rs.name, rs.type);
      if (seen.has(k)) v.problems.push(`${k} listed twice in ${z}`);
      seen.add(k);
      const records = rs.records.map((r) => r.content).sort();
      if (new Set(records).size !== records.length)
        v.problems.push(`${k} has a duplicate record: ${records}`);
      const marks = rs.comments.filter((c) => c.account === ownerId);
      if (records.length === 0) {
        // a marker left on a name without records would make a later hand-made record look owned
        if (marks.length > 0) v.problems.push(`${k}: ownership comment left without records`);
        continue;
      }
      if (marks.length > 1) v.problems.push(`${k} carries ${marks.length} ownership comments`);
      if (marks.length > 0) {
        v.owned.set(k, records);
        v.ttl.set(k, rs.ttl);
      } else v.other.set(k, records);
    }
  }
  return v;
}

/** Differences between two RRMaps as readable lines (empty when equal). */
export function diffRR(want: RRMap, got: RRMap): string[] {
  const out: string[] = [];
  for (const [k, w] of want) {
    const g = got.get(k);
    if (!g) out.push(`missing ${k} ${w.join(",")}`);
    else if (g.join(",") !== w.join(",")) out.push(`wrong ${k}: ${g.join(",")} (want ${w.join(",")})`);
  }
  for (const [k, g] of got) if (!want.has(k)) out.push(`extra ${k} ${g.join(",")}`);
  return out.sort();
}
