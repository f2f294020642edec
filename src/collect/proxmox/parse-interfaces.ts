/**
 * Live interface lists → GuestNic[]. Pure. Every address seen is reported (loopback, link-local,
 * docker bridges included): filtering is derive's job, so `pipam output` shows what the guest
 * really has. Zone suffixes are stripped, `prefix: -1` becomes undefined, MACs are lowercased.
 *
 * - QEMU agent `network-get-interfaces`: `{result: [...]}`, or HTTP 200 `{result: {error: {class, desc}}}`.
 * - LXC `interfaces`: `null` (stopped), old shape `{name, hwaddr, inet: "a/nn", inet6: "b/nn"}`,
 *   new shape (pve-container ≥ 5.2.6) with `hardware-address` + `ip-addresses` (prefix maybe a string).
 */
import type { GuestAddress, GuestNic, IpSource } from "../../state/model.ts";
import { canonicalIp, canonicalMac, parseCidr, parsePrefix } from "./ip.ts";

export type InterfacesResult =
  | { ok: true; nics: GuestNic[]; problems: string[] }
  | { ok: false; error: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function ipEntries(list: unknown, source: IpSource, where: string, problems: string[]): GuestAddress[] {
  if (!Array.isArray(list)) return [];
  const out: GuestAddress[] = [];
  for (const e of list) {
    if (!isObject(e)) continue;
    const c = canonicalIp(e["ip-address"]);
    if (!c) {
      problems.push(`${where}: not an IP address: ${JSON.stringify(e["ip-address"])?.slice(0, 80)}`);
      continue;
    }
    const prefix = parsePrefix(e.prefix, c.family);
    out.push(prefix === undefined ? { ...c, source } : { ...c, prefix, source });
  }
  return out;
}

function dedupe(addresses: GuestAddress[]): GuestAddress[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    if (seen.has(a.ip)) return false;
    seen.add(a.ip);
    return true;
  });
}

function nicName(e: Record<string, unknown>, i: number): string {
  return typeof e.name === "string" && e.name !== "" ? e.name : `#${i}`;
}

export function parseAgentInterfaces(data: unknown): InterfacesResult {
  if (!isObject(data)) return { ok: false, error: "guest agent reply is not an object" };
  const result = data.result;
  if (isObject(result) && isObject(result.error)) {
    const cls = typeof result.error.class === "string" ? result.error.class : "Error";
    const desc = typeof result.error.desc === "string" ? result.error.desc : "no description";
    return { ok: false, error: `guest agent error ${cls}: ${desc}` };
  }
  if (!Array.isArray(result)) return { ok: false, error: "guest agent reply has no result list" };
  const problems: string[] = [];
  const nics: GuestNic[] = [];
  result.forEach((e, i) => {
    if (!isObject(e)) return;
    const name = nicName(e, i);
    const mac = canonicalMac(e["hardware-address"]);
    const addresses = dedupe(ipEntries(e["ip-addresses"], "agent", `agent interface ${name}`, problems));
    nics.push(mac === undefined ? { name, addresses } : { name, mac, addresses });
  });
  return { ok: true, nics, problems };
}

export function parseLxcInterfaces(data: unknown): InterfacesResult {
  if (data === null || data === undefined) return { ok: true, nics: [], problems: [] };
  if (!Array.isArray(data)) return { ok: false, error: "LXC interfaces reply is not a list" };
  const problems: string[] = [];
  const nics: GuestNic[] = [];
  data.forEach((e, i) => {
    if (!isObject(e)) return;
    const name = nicName(e, i);
    const mac = canonicalMac(e["hardware-address"] ?? e.hwaddr);
    let addresses: GuestAddress[];
    if (Array.isArray(e["ip-addresses"])) {
      addresses = ipEntries(e["ip-addresses"], "lxc-interfaces", `LXC interface ${name}`, problems);
    } else {
      addresses = [];
      for (const key of ["inet", "inet6"] as const) {
        if (e[key] === undefined) continue;
        const c = parseCidr(e[key]);
        if (c) addresses.push({ ...c, source: "lxc-interfaces" });
        else
          problems.push(
            `LXC interface ${name} ${key}: not an address: ${JSON.stringify(e[key])?.slice(0, 80)}`,
          );
      }
    }
    addresses = dedupe(addresses);
    nics.push(mac === undefined ? { name, addresses } : { name, mac, addresses });
  });
  return { ok: true, nics, problems };
}
