/**
 * Reverse names (PTR owners): `d.c.b.a.in-addr.arpa.` for IPv4, 32 reversed nibbles under
 * `ip6.arpa.` for IPv6, and the most specific existing reverse zone that contains one.
 * Classless (RFC 2317) reverse zones such as `0/26.2.0.192.in-addr.arpa.` are not matched.
 */
import ipaddr from "ipaddr.js";

/** The PTR owner name of a valid IP address (absolute, lowercase). */
export function reverseName(ip: string): string {
  const a = ipaddr.parse(ip);
  if (a.kind() === "ipv4") return `${(a as ipaddr.IPv4).octets.slice().reverse().join(".")}.in-addr.arpa.`;
  const nibbles = (a as ipaddr.IPv6).parts.flatMap((p) => p.toString(16).padStart(4, "0").split(""));
  return `${nibbles.reverse().join(".")}.ip6.arpa.`;
}

/** The longest zone of `zones` (absolute, lowercase) that is `name` or a parent of it. */
export function mostSpecificZone(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    if (name === z || name.endsWith(`.${z}`)) {
      if (best === undefined || z.length > best.length) best = z;
    }
  }
  return best;
}
