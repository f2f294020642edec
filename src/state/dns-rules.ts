/**
 * What decides which records a guest gets: zone mappings (CIDR → zone), filters and TTL. Built by
 * the caller from the config (`[mapping."<zone>"] networks`, `skip_cidrs`, `[dns]`) plus the
 * reverse zones that exist on the server. `compileRules` parses it once; bad entries are reported
 * in `errors` and left out, never thrown.
 */
import { type Cidr, type Ip, inCidr, parseCidr, specialRange } from "./ip.ts";
import type { GuestKey } from "./model.ts";
import { normalizeName } from "./normalize.ts";

export interface DnsRules {
  /** Zone mappings; the zone is absolute and lowercase ("example.com."). */
  zones: { zone: string; networks: string[] }[];
  /** CIDRs whose addresses never get records. */
  skipCidrs: string[];
  ttl: number;
  /** Write PTR records into `reverseZones`. */
  ptr: boolean;
  /** Reverse zones that exist on the server (absolute). PTRs go only into these. */
  reverseZones: string[];
  /** Interface-name globs (`*`, `?`) whose addresses are ignored, e.g. "veth*", "docker0". */
  ignoreInterfaces: string[];
  /** Guests tagged `ignore` are skipped (opt-out); with `require`, only guests tagged so (opt-in). */
  tags: { ignore: string; require?: string };
}

/** A guest (or one of its addresses) that makes no records, and why. */
export interface Skip {
  guest: GuestKey;
  ip?: string;
  reason: string;
}

export interface CompiledRules {
  /** Most specific first (longest prefix, then zone name). */
  networks: { zone: string; cidr: Cidr; text: string }[];
  skip: { cidr: Cidr; text: string }[];
  ttl: number;
  ptr: boolean;
  reverseZones: string[];
  ignoreInterfaces: RegExp[];
  ignoreTag: string;
  requireTag?: string;
  /** Problems with the rules themselves (bad CIDR), each naming the entry. */
  errors: string[];
}

export function compileRules(rules: DnsRules): CompiledRules {
  const errors: string[] = [];
  const parse = (text: string, where: string): Cidr | undefined => {
    const c = parseCidr(text);
    if (!c) errors.push(`${where}: ${JSON.stringify(text)} is not a CIDR`);
    return c;
  };
  const networks: CompiledRules["networks"] = [];
  for (const m of rules.zones) {
    const zone = normalizeName(m.zone);
    for (const n of m.networks) {
      const cidr = parse(n, `mapping ${zone}`);
      if (cidr) networks.push({ zone, cidr, text: n.trim() });
    }
  }
  networks.sort((a, b) => b.cidr.prefix - a.cidr.prefix || (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
  const skip: CompiledRules["skip"] = [];
  for (const s of rules.skipCidrs) {
    const cidr = parse(s, "skip_cidrs");
    if (cidr) skip.push({ cidr, text: s.trim() });
  }
  const out: CompiledRules = {
    networks,
    skip,
    ttl: rules.ttl,
    ptr: rules.ptr,
    reverseZones: [...new Set(rules.reverseZones.map(normalizeName))],
    ignoreInterfaces: rules.ignoreInterfaces.map(globToRegExp),
    ignoreTag: rules.tags.ignore.toLowerCase(),
    errors,
  };
  if (rules.tags.require) out.requireTag = rules.tags.require.toLowerCase();
  return out;
}

/** `*` = any run of characters, `?` = one character; everything else literal; whole name. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Why an address never makes a record (special-purpose ranges, skip_cidrs), or undefined. */
export function addressSkipReason(ip: Ip, rules: CompiledRules): string | undefined {
  const range = specialRange(ip);
  if (range) return `${range} address`;
  for (const s of rules.skip) if (inCidr(ip, s.cidr)) return `in skip_cidrs ${s.text}`;
  return undefined;
}

/** The zone of the most specific mapping that contains the address. */
export function zoneFor(ip: Ip, rules: CompiledRules): string | undefined {
  for (const n of rules.networks) if (inCidr(ip, n.cidr)) return n.zone;
  return undefined;
}
