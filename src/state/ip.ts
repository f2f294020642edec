/**
 * A small, strict and fast IP toolkit for derive and plan (ipaddr.js spends microseconds per call;
 * 10,000 guests make that visible). Accepts only the standard text forms: IPv4 dotted quad
 * without leading zeros, IPv6 with at most one `::`, an optional embedded IPv4 tail and an
 * optional `%zone` (dropped). Output: IPv4 dotted quad, IPv6 in RFC 5952 form — the same text
 * ipaddr.js's toString / toRFC5952String give (ip.test.ts checks this against it).
 */

export interface Ip {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends Ip {
  prefix: number;
}

export function parseIp(text: string): Ip | undefined {
  const s = text.trim();
  if (s.includes(":")) {
    const b = parseV6(s);
    return b ? { family: 6, bytes: b } : undefined;
  }
  const b = parseV4(s);
  return b ? { family: 4, bytes: b } : undefined;
}

/** `a.b.c.d/n` or `x::/n`; host bits may be set (they are ignored when matching). */
export function parseCidr(text: string): Cidr | undefined {
  const s = text.trim();
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > ip.bytes.length * 8) return undefined;
  return { ...ip, prefix };
}

export function inCidr(ip: Ip, c: Cidr): boolean {
  if (ip.family !== c.family) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== c.bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip.bytes[full] ?? 0) & mask) === ((c.bytes[full] ?? 0) & mask);
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, no leading zeros, longest zero run as `::`). */
export function formatIp(ip: Ip): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** Canonical text of a valid address, undefined otherwise. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

export type SpecialRange =
  | "unspecified"
  | "loopback"
  | "link-local"
  | "multicast"
  | "broadcast"
  | "IPv4-mapped IPv6";

/** Special-purpose ranges that never get DNS records (same boundaries as ipaddr.js's range()). */
export function specialRange(ip: Ip): SpecialRange | undefined {
  const b = ip.bytes;
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  if (ip.family === 4) {
    if (b0 === 0) return "unspecified";
    if (b0 === 127) return "loopback";
    if (b0 === 169 && b1 === 254) return "link-local";
    if (b0 >= 224 && b0 <= 239) return "multicast";
    if (b.every((x) => x === 255)) return "broadcast";
    return undefined;
  }
  if (b0 === 0xff) return "multicast";
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return "link-local";
  let zeros = 0;
  while (zeros < 16 && b[zeros] === 0) zeros++;
  if (zeros === 16) return "unspecified";
  if (zeros === 15 && b[15] === 1) return "loopback";
  if (zeros === 10 && b[10] === 0xff && b[11] === 0xff) return "IPv4-mapped IPv6";
  return undefined;
}

const V4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function parseV4(s: string): Uint8Array | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

const HEX = /^[0-9a-fA-F]{1,4}$/;

function parseV6(text: string): Uint8Array | undefined {
  const pct = text.indexOf("%");
  const s = pct >= 0 ? text.slice(0, pct) : text;
  if (pct >= 0 && pct === text.length - 1) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const it = items[i] ?? "";
      if (i === items.length - 1 && it.includes(".")) {
        const v4 = parseV4(it);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (HEX.test(it)) out.push(Number.parseInt(it, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  // an embedded IPv4 may only end the address
  if (halves.length === 2 && (halves[0] ?? "").includes(".")) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
