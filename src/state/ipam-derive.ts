/**
 * Inventory → the NetBox objects pipam wants (pure). One cluster type; one NetBox cluster per
 * Proxmox cluster (named by `clusterName` when given, else after the Proxmox endpoint); per guest a
 * VM, its interfaces, one primary MAC object per interface with a MAC, its IPs (with prefix length
 * and `dns_name` when the DNS side has a record) and primary IPv4/IPv6.
 *
 * Rules: templates are skipped; loopback, link-local, multicast and unspecified addresses are
 * skipped; an address that is a network ID or IPv4 broadcast of its prefix is skipped (NetBox
 * refuses to put it on an interface); an IP wanted by two guests, or a VM name used twice in one
 * cluster (case-insensitive, as NetBox compares), goes to the guest with the lowest key and the
 * others get a conflict.
 */
import ipaddr from "ipaddr.js";
import type { IpamDesired, IpamInterface, IpamIp, IpamMac, IpamVm, NbVmStatus } from "./ipam-types.ts";
import type { Conflict, Guest, GuestKey, Inventory, RRset } from "./model.ts";
import { guestKey } from "./model.ts";

export interface IpamDeriveOptions {
  /** Cluster type slug/name (default "proxmox"). */
  clusterType?: string;
  /** The seed's `[ipam.netbox] cluster`: the NetBox cluster for every guest. Default: the Proxmox cluster name. */
  clusterName?: string;
  /** IP (canonical text) → FQDN of its DNS record, from the DNS side. */
  dnsNames?: ReadonlyMap<string, string> | Record<string, string>;
}

const DNS_NAME = /^([0-9A-Za-z_-]+|\*)(\.[0-9A-Za-z_-]+)*\.?$/;

/** Proxmox status → NetBox VM status; undefined keeps NetBox's value. */
export function vmStatus(proxmox: string): NbVmStatus | undefined {
  switch (proxmox.toLowerCase()) {
    case "running":
      return "active";
    case "stopped":
      return "offline";
    case "paused":
    case "suspended":
    case "prelaunch":
      return "paused";
    default:
      return undefined;
  }
}

/** The CIDR to record for an address, or a reason to skip it. */
export function addressCidr(ip: string, prefix: number | undefined): { cidr: string } | { skip: string } {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return { skip: `"${ip}" is not an IP address` };
  }
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  const range = addr.range();
  if (["loopback", "linkLocal", "multicast", "unspecified", "broadcast"].includes(range)) {
    return { skip: `${range} address` };
  }
  const max = addr.kind() === "ipv4" ? 32 : 128;
  const len = prefix !== undefined && Number.isInteger(prefix) && prefix > 0 && prefix <= max ? prefix : max;
  const text = addr.toString();
  if (len < max - 1) {
    const cidr = `${text}/${len}`;
    const network =
      addr.kind() === "ipv4"
        ? ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()
        : ipaddr.IPv6.networkAddressFromCIDR(cidr).toString();
    if (network === text) return { skip: `${cidr} is a network ID` };
    if (addr.kind() === "ipv4" && ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString() === text) {
      return { skip: `${cidr} is a broadcast address` };
    }
  }
  return { cidr: `${text}/${len}` };
}

function dnsNameFor(ip: string, names: IpamDeriveOptions["dnsNames"]): string {
  if (!names) return "";
  const raw = names instanceof Map ? names.get(ip) : (names as Record<string, string>)[ip];
  if (!raw) return "";
  const n = raw.toLowerCase().replace(/\.$/, "");
  return n.length <= 255 && DNS_NAME.test(n) ? n : "";
}

export function deriveIpam(inv: Inventory, opts: IpamDeriveOptions = {}): IpamDesired {
  const guests = inv.guests
    .filter((g) => !g.template)
    .slice()
    .sort((a, b) => compareKeys(guestKey(a.cluster, a.vmid), guestKey(b.cluster, b.vmid)));
  const conflicts: Conflict[] = [];
  const vms: IpamVm[] = [];
  const interfaces: IpamInterface[] = [];
  const macs: IpamMac[] = [];
  const ips: IpamIp[] = [];
  const clusters = new Set<string>();
  const names = new Map<string, GuestKey>();
  const ipOwner = new Map<string, GuestKey>();

  for (const g of guests) {
    const key = guestKey(g.cluster, g.vmid);
    const cluster = opts.clusterName ?? g.cluster;
    const name = vmName(g);
    const nameKey = `${cluster}\u0000${name.toLowerCase()}`;
    const holder = names.get(nameKey);
    if (holder) {
      conflicts.push({
        kind: "fqdn",
        subject: name,
        winner: holder,
        losers: [key],
        message: `NetBox VM name "${name}" in cluster "${cluster}" is already used by ${holder}; ${key} is not synced`,
      });
      continue;
    }
    names.set(nameKey, key);
    clusters.add(cluster);
    const vm: IpamVm = { key, name, cluster, status: vmStatus(g.status) };
    const seenIfaces = new Set<string>();
    for (const nic of g.nics) {
      const ifName = nic.name.slice(0, 64);
      if (ifName === "" || ifName === "lo" || seenIfaces.has(ifName)) continue;
      seenIfaces.add(ifName);
      const mac = nic.mac && nic.mac !== "00:00:00:00:00:00" ? nic.mac.toLowerCase() : undefined;
      interfaces.push(mac ? { vm: key, name: ifName, mac } : { vm: key, name: ifName });
      if (mac) macs.push({ vm: key, iface: ifName, mac });
      for (const a of nic.addresses) {
        const r = addressCidr(a.ip, a.prefix);
        if ("skip" in r) continue;
        const host = r.cidr.slice(0, r.cidr.indexOf("/"));
        const owner = ipOwner.get(host);
        if (owner !== undefined) {
          if (owner !== key) {
            conflicts.push({
              kind: "ip",
              subject: host,
              winner: owner,
              losers: [key],
              message: `IP ${host} is reported by ${owner} and ${key}; NetBox gets it on ${owner} only`,
            });
          }
          continue;
        }
        ipOwner.set(host, key);
        ips.push({ vm: key, iface: ifName, address: r.cidr, dnsName: dnsNameFor(host, opts.dnsNames) });
        if (host.includes(":")) vm.primaryIp6 ??= r.cidr;
        else vm.primaryIp4 ??= r.cidr;
      }
    }
    vms.push(vm);
  }
  return {
    clusterType: opts.clusterType ?? "proxmox",
    clusters: [...clusters].sort(),
    vms,
    interfaces,
    macs,
    ips,
    conflicts,
    complete: inv.complete,
  };
}

/**
 * IP → FQDN from the DNS side's desired A/AAAA rrsets (the `dnsNames` input of deriveIpam). An IP
 * with several names gets the alphabetically first one, so the choice is stable.
 */
export function dnsNamesFromRRsets(rrsets: readonly RRset[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rrsets) {
    if (r.type !== "A" && r.type !== "AAAA") continue;
    const name = r.name.toLowerCase().replace(/\.$/, "");
    for (const ip of r.records) {
      const prev = out.get(ip);
      if (prev === undefined || name < prev) out.set(ip, name);
    }
  }
  return out;
}

function vmName(g: Guest): string {
  const n = g.name.trim();
  return (n === "" ? `${g.type}-${g.vmid}` : n).slice(0, 64);
}

function compareKeys(a: GuestKey, b: GuestKey): number {
  const [ca, va] = splitKey(a);
  const [cb, vb] = splitKey(b);
  return ca < cb ? -1 : ca > cb ? 1 : va - vb;
}

function splitKey(k: GuestKey): [string, number] {
  const i = k.lastIndexOf("/");
  return [k.slice(0, i), Number(k.slice(i + 1))];
}
