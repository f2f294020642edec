/**
 * Pure helpers shared by every DNS provider: normalised names and contents (as PowerDNS stores
 * them: lowercase absolute names, RFC 5952 IPv6), rrset keys, zone membership.
 */
import ipaddr from "ipaddr.js";
import type { RRset, RRType } from "../../state/model.ts";

/** Already normal: lowercase, trimmed, absolute (checked first: it is the common case, and cheap). */
const NORMAL_NAME = /^[a-z0-9_*-][a-z0-9._*-]*\.$|^\.$/;
/** A dotted quad with no leading zeros: already canonical. */
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Absolute, lowercase, with the trailing dot. */
export function normalizeName(name: string): string {
  if (NORMAL_NAME.test(name)) return name;
  const n = name.trim().toLowerCase();
  return n.endsWith(".") ? n : `${n}.`;
}

/** Canonical record content as PowerDNS stores it; undefined when it is not valid for the type. */
export function normalizeContent(type: RRType, content: string): string | undefined {
  if (type === "A" && CANONICAL_V4.test(content)) return content;
  const c = content.trim();
  if (type === "PTR") return c === "" ? undefined : normalizeName(c);
  if (type === "A")
    return ipaddr.IPv4.isValidFourPartDecimal(c) ? ipaddr.IPv4.parse(c).toString() : undefined;
  if (!ipaddr.IPv6.isValid(c)) return undefined;
  return ipaddr.IPv6.parse(c).toRFC5952String();
}

/** An RRset with normalised name, zone and sorted, deduplicated contents (invalid contents kept as given). */
export function normalizeRRset(rr: RRset): RRset {
  const one = rr.records.length === 1 ? rr.records[0]! : undefined;
  const records =
    one !== undefined
      ? [normalizeContent(rr.type, one) ?? one]
      : [...new Set(rr.records.map((c) => normalizeContent(rr.type, c) ?? c))].sort();
  return { ...rr, zone: normalizeName(rr.zone), name: normalizeName(rr.name), records };
}

export function rrsetKey(rr: { name: string; type: string }): string {
  return `${normalizeName(rr.name)} ${rr.type.toUpperCase()}`;
}

export function compareRRsets(a: RRset, b: RRset): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

/** Reverse zones are those under in-addr.arpa. or ip6.arpa. */
export function isReverseZone(name: string): boolean {
  const n = normalizeName(name);
  return (
    n.endsWith(".in-addr.arpa.") || n.endsWith(".ip6.arpa.") || n === "in-addr.arpa." || n === "ip6.arpa."
  );
}

/** True when name is the zone itself or below it. */
export function inZone(name: string, zone: string): boolean {
  const n = normalizeName(name);
  const z = normalizeName(zone);
  return z === "." || n === z || n.endsWith(`.${z}`);
}
