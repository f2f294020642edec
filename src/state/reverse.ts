/**
 * Reverse names (PTR owners): `d.c.b.a.in-addr.arpa.` for IPv4, 32 reversed nibbles under
 * `ip6.arpa.` for IPv6, and the most specific existing reverse zone that contains one.
 * Classless (RFC 2317) reverse zones such as `0/26.2.0.192.in-addr.arpa.` are not matched.
 */
import { type Ip, parseIp } from "./ip.ts";

/** The PTR owner name of an address (absolute, lowercase). */
export function reverseName(ip: Ip): string {
  const b = [...ip.bytes];
  if (ip.family === 4) return `${b.reverse().join(".")}.in-addr.arpa.`;
  const nibbles: string[] = [];
  for (let i = b.length - 1; i >= 0; i--) {
    const x = b[i] ?? 0;
    nibbles.push(HEX[x & 15] as string, HEX[x >> 4] as string);
  }
  return `${nibbles.join(".")}.ip6.arpa.`;
}

const HEX = "0123456789abcdef";

/** reverseName of an address given as text; undefined when it is not an address. */
export function reverseNameOf(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? reverseName(ip) : undefined;
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
