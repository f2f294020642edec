/**
 * Normal forms of DNS names and record contents, as PowerDNS stores them: absolute lowercase names
 * with the trailing dot, RFC 5952 IPv6, dotted-quad IPv4. Plan compares desired and current only
 * on these forms, so a provider's spelling (`2001:0DB8::1`, `Web.Example.com.`) never looks like a
 * change.
 */
import { formatIp, parseIp } from "./ip.ts";
import type { GuestKey, RRset, RRType } from "./model.ts";

/** Absolute, lowercase, with the trailing dot. */
export function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith(".") ? n : `${n}.`;
}

/** Canonical content for the type; the trimmed input when it is not valid for the type. */
export function normalizeContent(type: RRType, content: string): string {
  const c = content.trim();
  if (type === "PTR") return c === "" ? c : normalizeName(c);
  const ip = parseIp(c);
  if (type === "A") return ip?.family === 4 ? formatIp(ip) : c;
  return ip?.family === 6 ? formatIp(ip) : c.toLowerCase();
}

/** Names and contents normalised, records deduplicated and sorted, guests sorted. */
export function normalizeRRset(rr: RRset): RRset {
  const records = rr.records.map((c) => normalizeContent(rr.type, c));
  if (records.length > 1) {
    records.sort();
    let w = 1;
    for (let i = 1; i < records.length; i++)
      if (records[i] !== records[w - 1]) records[w++] = records[i] as string;
    records.length = w;
  }
  const out: RRset = { ...rr, zone: normalizeName(rr.zone), name: normalizeName(rr.name), records };
  if (rr.guests)
    out.guests = rr.guests.length > 1 ? [...new Set(rr.guests)].sort(compareGuestKeys) : [...rr.guests];
  return out;
}

/** `zone|name|type`: one rrset in one zone. */
export function rrsetId(rr: Pick<RRset, "zone" | "name" | "type">): string {
  return `${rr.zone}|${rr.name}|${rr.type}`;
}

/** Sort order of rrsets everywhere: zone, name, type. */
export function compareRRsets(a: RRset, b: RRset): number {
  return cmp(a.zone, b.zone) || cmp(a.name, b.name) || cmp(a.type, b.type);
}

/** Order of guest identities: cluster (code points), then vmid numerically. */
export function compareGuestKeys(a: GuestKey, b: GuestKey): number {
  const [ca, va] = splitKey(a);
  const [cb, vb] = splitKey(b);
  return cmp(ca, cb) || va - vb;
}

function splitKey(k: GuestKey): [string, number] {
  const i = k.lastIndexOf("/");
  return [k.slice(0, i), Number(k.slice(i + 1))];
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Same content for plan's purpose: TTL and records (both sides normalised). */
export function sameRecords(a: RRset, b: RRset): boolean {
  return (
    a.ttl === b.ttl && a.records.length === b.records.length && a.records.every((r, i) => r === b.records[i])
  );
}
