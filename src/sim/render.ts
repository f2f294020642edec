/**
 * Pure rendering of simulator guests into the wire shapes of the fixtures in
 * ../shared/fixtures/proxmox/ (the `data` part; the server wraps it in `{"data": …}`).
 */
import type { SimGuest, SimNic } from "./scenario.ts";

/** `/cluster/resources?type=vm` entry; `status: unknown` entries carry only the identity. */
export function listEntry(g: SimGuest, uptime: number, online: boolean): Record<string, unknown> {
  const id = `${g.type}/${g.vmid}`;
  if (!online || g.status === "unknown") {
    return { id, vmid: g.vmid, node: g.node, type: g.type, status: "unknown" };
  }
  const running = g.status === "running";
  const e: Record<string, unknown> = {
    id,
    vmid: g.vmid,
    node: g.node,
    type: g.type,
    status: g.status,
    name: g.name,
    template: g.template ? 1 : 0,
    uptime: running ? uptime : 0,
    cpu: running ? 0.0123 : 0,
    maxcpu: 2,
    mem: running ? 842551296 : 0,
    maxmem: 2147483648,
    disk: 0,
    maxdisk: 34359738368,
    netin: running ? 2456116 : 0,
    netout: running ? 545248 : 0,
    diskread: 0,
    diskwrite: 0,
  };
  if (g.tags !== undefined) e.tags = g.tags;
  return e;
}

function cidrAddr(cidr: string): { ip: string; prefix: number } {
  const [ip, p] = cidr.split("/");
  return { ip: ip ?? cidr, prefix: Number(p ?? (cidr.includes(":") ? 128 : 32)) };
}

export function configData(g: SimGuest): Record<string, unknown> {
  const c: Record<string, unknown> = {
    digest: (g.vmid * 2654435761).toString(16).padStart(40, "0").slice(-40),
    memory: "2048",
    cores: 2,
  };
  if (g.tags !== undefined) c.tags = g.tags;
  if (g.type === "qemu") {
    c.name = g.name;
    c.ostype = g.agent === "windows" ? "win11" : "l26";
    if (g.agent !== "off") c.agent = "1,fstrim_cloned_disks=1";
    g.nics.forEach((n, i) => {
      c[`net${i}`] = `virtio=${n.mac.toUpperCase()},bridge=${n.bridge ?? "vmbr0"},firewall=1`;
      if (g.staticConfig) {
        const parts = [];
        if (n.ipv4?.[0]) parts.push(`ip=${n.ipv4[0]}`);
        if (n.ipv6?.[0]) parts.push(`ip6=${n.ipv6[0]}`);
        if (parts.length > 0) c[`ipconfig${i}`] = parts.join(",");
      }
    });
  } else {
    c.hostname = g.name;
    c.ostype = "debian";
    g.nics.forEach((n, i) => {
      const ip = g.staticConfig && n.ipv4?.[0] ? n.ipv4[0] : "dhcp";
      const ip6 = g.staticConfig && n.ipv6?.[0] ? `,ip6=${n.ipv6[0]}` : "";
      c[`net${i}`] =
        `name=${n.name},bridge=${n.bridge ?? "vmbr0"},firewall=1,hwaddr=${n.mac.toUpperCase()},ip=${ip}${ip6},type=veth`;
    });
  }
  return c;
}

function agentIface(n: SimNic, windows: boolean): Record<string, unknown> {
  const ips: Record<string, unknown>[] = [];
  for (const c of n.ipv4 ?? []) {
    const a = cidrAddr(c);
    ips.push({ "ip-address-type": "ipv4", "ip-address": a.ip, prefix: a.prefix });
  }
  for (const c of n.ipv6 ?? []) {
    const a = cidrAddr(c);
    ips.push({ "ip-address-type": "ipv6", "ip-address": a.ip, prefix: windows ? -1 : a.prefix });
  }
  const suffix = n.mac.toLowerCase().split(":").slice(3).join("");
  ips.push({
    "ip-address-type": "ipv6",
    "ip-address": `fe80::be24:11ff:fe${suffix.slice(0, 2)}:${suffix.slice(2)}${windows ? "%4" : ""}`,
    prefix: windows ? -1 : 64,
  });
  return { name: n.name, "hardware-address": n.mac.toLowerCase(), "ip-addresses": ips };
}

/** The agent's `data` for a guest whose agent answers (modes ok/windows/unsupported/disabled). */
export function agentData(g: SimGuest): unknown {
  if (g.agent === "unsupported") {
    return {
      result: { error: { class: "Unsupported", desc: "this feature or command is not currently supported" } },
    };
  }
  if (g.agent === "disabled") {
    return {
      result: {
        error: {
          class: "CommandDisabled",
          desc: "The command guest-network-get-interfaces has been disabled for this instance",
        },
      },
    };
  }
  const windows = g.agent === "windows";
  const lo = windows
    ? {
        name: "Loopback Pseudo-Interface 1",
        "ip-addresses": [
          { "ip-address-type": "ipv6", "ip-address": "::1", prefix: -1 },
          { "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: -1 },
        ],
      }
    : {
        name: "lo",
        "hardware-address": "00:00:00:00:00:00",
        "ip-addresses": [
          { "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 },
          { "ip-address-type": "ipv6", "ip-address": "::1", prefix: 128 },
        ],
      };
  return { result: [lo, ...g.nics.map((n) => agentIface(n, windows))] };
}

/** LXC `interfaces` data: null when stopped; old or new shape (prefixes as strings, like real PVE). */
export function lxcInterfacesData(g: SimGuest): unknown {
  if (g.status !== "running") return null;
  const lo = { name: "lo", hwaddr: "00:00:00:00:00:00", inet: "127.0.0.1/8", inet6: "::1/128" };
  const items = g.nics.map((n) => {
    const v4 = (n.ipv4 ?? []).map(cidrAddr);
    const v6 = (n.ipv6 ?? []).map(cidrAddr);
    const mac = n.mac.toLowerCase();
    const old: Record<string, unknown> = { name: n.name, hwaddr: mac };
    if (v4.length > 0) old.inet = `${v4.at(-1)!.ip}/${v4.at(-1)!.prefix}`;
    if (v6.length > 0) old.inet6 = `${v6.at(-1)!.ip}/${v6.at(-1)!.prefix}`;
    if (g.lxcShape === "old") return old;
    return {
      ...old,
      "hardware-address": mac,
      "ip-addresses": [
        ...v4.map((a) => ({ "ip-address": a.ip, "ip-address-type": "inet", prefix: String(a.prefix) })),
        ...v6.map((a) => ({ "ip-address": a.ip, "ip-address-type": "inet6", prefix: String(a.prefix) })),
      ],
    };
  });
  if (g.lxcShape === "old") return [lo, ...items];
  const loNew = {
    ...lo,
    "hardware-address": lo.hwaddr,
    "ip-addresses": [
      { "ip-address": "127.0.0.1", "ip-address-type": "inet", prefix: "8" },
      { "ip-address": "::1", "ip-address-type": "inet6", prefix: "128" },
    ],
  };
  return [loNew, ...items];
}
