/**
 * Canonical IP text for everything the collector reports: `%zone` suffix stripped, IPv6
 * compressed and lowercase (RFC 5952), IPv4 strictly dotted-quad decimal. Pure.
 */
import ipaddr from "ipaddr.js";

export interface CanonicalIp {
  ip: string;
  family: 4 | 6;
}

/** Returns undefined for anything that is not a valid IPv4/IPv6 address. */
export function canonicalIp(raw: unknown): CanonicalIp | undefined {
  if (typeof raw !== "string") return undefined;
  let s = raw.trim();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s === "") return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) {
    return { ip: ipaddr.IPv4.parse(s).toString(), family: 4 };
  }
  if (!s.includes(":") || !ipaddr.IPv6.isValid(s)) return undefined;
  const v6 = ipaddr.IPv6.parse(s);
  if (v6.isIPv4MappedAddress()) return { ip: `::ffff:${v6.toIPv4Address().toString()}`, family: 6 };
  return { ip: v6.toRFC5952String(), family: 6 };
}

/**
 * A prefix length from the API: an integer, or a numeric string (LXC `ip-addresses`).
 * Windows guest agents report `-1` for "unknown": that, and anything out of range, is undefined.
 */
export function parsePrefix(raw: unknown, family: 4 | 6): number | undefined {
  let n: number;
  if (typeof raw === "number") n = raw;
  else if (typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw);
  else return undefined;
  if (!Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128)) return undefined;
  return n;
}

/** `10.0.0.5/24` or `fd00::5/64` (a config `ip=`/`ip6=` or an old-style LXC `inet`). */
export function parseCidr(raw: unknown): { ip: string; family: 4 | 6; prefix?: number } | undefined {
  if (typeof raw !== "string") return undefined;
  const slash = raw.lastIndexOf("/");
  const addr = canonicalIp(slash >= 0 ? raw.slice(0, slash) : raw);
  if (!addr) return undefined;
  const prefix = slash >= 0 ? parsePrefix(raw.slice(slash + 1), addr.family) : undefined;
  return prefix === undefined ? addr : { ...addr, prefix };
}

/** Lowercase `aa:bb:cc:dd:ee:ff`, or undefined when it is not a 48-bit MAC. */
export function canonicalMac(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const s = raw.trim().toLowerCase();
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(s) ? s : undefined;
}
