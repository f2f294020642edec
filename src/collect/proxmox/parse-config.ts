/**
 * Guest config (`GET /nodes/{n}/{qemu|lxc}/{id}/config`) → name, tags, agent flag and the NICs
 * the config declares (MAC + configured addresses). Pure.
 *
 * - QEMU `netN`: `virtio=BC:24:11:..,bridge=vmbr0` (the model key carries the MAC) or `macaddr=`.
 * - QEMU cloud-init `ipconfigN`: `ip=<cidr>|dhcp`, `ip6=<cidr>|dhcp|auto` → source "cloud-init", attached to `netN`.
 * - LXC `netN`: `name=eth0,hwaddr=..,ip=<cidr>|dhcp|manual,ip6=<cidr>|auto|dhcp|manual` → source "config".
 * dhcp/auto/manual carry no address and are ignored.
 */
import type { GuestAddress, GuestType, IpSource } from "../../state/model.ts";
import { canonicalMac, parseCidr } from "./ip.ts";

export interface ConfigNic {
  /** Config key, e.g. `net0`. */
  key: string;
  index: number;
  /** LXC in-container name (`name=eth0`). */
  guestName?: string;
  mac?: string;
  addresses: GuestAddress[];
}

export interface ParsedConfig {
  /** QEMU `name` / LXC `hostname`. */
  name?: string;
  tags: string[];
  /** QEMU guest agent enabled in the config (`agent: 1`, `"1,fstrim_cloned_disks=1"`, `"enabled=1"`). */
  agent: boolean;
  nics: ConfigNic[];
  /** Values that could not be understood (what and where), for logs. */
  problems: string[];
}

const QEMU_MODELS = new Set([
  "e1000",
  "e1000-82540em",
  "e1000-82544gc",
  "e1000-82545em",
  "e1000e",
  "i82551",
  "i82557b",
  "i82559er",
  "ne2k_isa",
  "ne2k_pci",
  "pcnet",
  "rtl8139",
  "virtio",
  "vmxnet3",
]);

/** PVE property string `a=1,b=2` (a leading bare value goes under `defaultKey`). */
export function parsePropertyString(s: string, defaultKey?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(",")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq < 0) {
      if (defaultKey !== undefined && !out.has(defaultKey)) out.set(defaultKey, p);
      continue;
    }
    out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return out;
}

/** Tags as PVE's `split_list` reads them: split on `;`, `,` and whitespace, empties dropped. */
export function splitTags(raw: unknown): string[] {
  if (typeof raw !== "string") return [];
  return raw.split(/[;,\s\0]+/).filter((t) => t !== "");
}

export function agentEnabled(raw: unknown): boolean {
  if (typeof raw === "number") return raw !== 0;
  if (typeof raw !== "string") return false;
  const v = parsePropertyString(raw, "enabled").get("enabled");
  return v !== undefined && v !== "0" && v.toLowerCase() !== "false" && v.toLowerCase() !== "no";
}

function addr(raw: string | undefined, source: IpSource, where: string, problems: string[]): GuestAddress[] {
  if (raw === undefined) return [];
  const v = raw.toLowerCase();
  if (v === "dhcp" || v === "auto" || v === "manual" || v === "") return [];
  const c = parseCidr(raw);
  if (!c) {
    problems.push(`${where}: not an IP address: ${JSON.stringify(raw.slice(0, 80))}`);
    return [];
  }
  return [{ ...c, source }];
}

export function parseGuestConfig(type: GuestType, data: unknown): ParsedConfig {
  const problems: string[] = [];
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return { tags: [], agent: false, nics: [], problems: ["config is not an object"] };
  }
  const cfg = data as Record<string, unknown>;
  const nics = new Map<number, ConfigNic>();
  const nic = (index: number): ConfigNic => {
    let n = nics.get(index);
    if (!n) {
      n = { key: `net${index}`, index, addresses: [] };
      nics.set(index, n);
    }
    return n;
  };
  for (const [key, value] of Object.entries(cfg)) {
    const m = /^(net|ipconfig)(\d{1,2})$/.exec(key);
    if (!m || typeof value !== "string") continue;
    const index = Number(m[2]);
    if (m[1] === "net") {
      const n = nic(index);
      const props = parsePropertyString(value);
      let mac: string | undefined;
      if (type === "lxc") {
        mac = props.get("hwaddr");
        n.guestName = props.get("name");
        n.addresses.push(...addr(props.get("ip"), "config", `${key} ip`, problems));
        n.addresses.push(...addr(props.get("ip6"), "config", `${key} ip6`, problems));
      } else {
        mac = props.get("macaddr");
        for (const [k, v] of props) if (mac === undefined && QEMU_MODELS.has(k)) mac = v;
      }
      n.mac = canonicalMac(mac);
      if (mac !== undefined && n.mac === undefined)
        problems.push(`${key}: not a MAC address: ${JSON.stringify(mac)}`);
    } else if (type === "qemu") {
      const props = parsePropertyString(value);
      const n = nic(index);
      n.addresses.push(...addr(props.get("ip"), "cloud-init", `${key} ip`, problems));
      n.addresses.push(...addr(props.get("ip6"), "cloud-init", `${key} ip6`, problems));
    }
  }
  const rawName = type === "lxc" ? cfg.hostname : cfg.name;
  return {
    name: typeof rawName === "string" ? rawName : undefined,
    tags: splitTags(cfg.tags),
    agent: type === "qemu" && agentEnabled(cfg.agent),
    nics: [...nics.values()].sort((a, b) => a.index - b.index),
    problems,
  };
}
