/**
 * A deterministic, realistic-looking scenario for the demo and the benchmarks: `guests` guests
 * spread over `nodes` nodes, ~70% QEMU / 30% LXC, most running, a few agents off, not running,
 * Windows or broken; unique IPv4 (10.N.x.y/16 per node) and optionally IPv6 (fd00:N::/64).
 */
import type { AgentMode, Scenario, SimGuest } from "./scenario.ts";

export interface DemoOptions {
  guests: number;
  nodes?: number;
  ipv6?: boolean;
  seed?: number;
  /** Every QEMU guest gets a working agent and every guest runs (benchmarks). */
  allHealthy?: boolean;
}

/** mulberry32: small, fast, deterministic. */
export function seededRand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROLES = ["web", "db", "cache", "mail", "git", "ci", "mon", "proxy", "app", "k8s", "dns", "backup"];
const TAGS = ["prod", "dev", "staging", "dns", "backup", "team-a", "team-b"];

function mac(i: number, nic: number): string {
  const h = (n: number) => n.toString(16).padStart(2, "0").toUpperCase();
  return `BC:24:11:${h((i >> 16) & 0xff)}:${h((i >> 8) & 0xff)}:${h((i & 0xff) ^ (nic * 0x80))}`;
}

export function demoScenario(opts: DemoOptions): Scenario {
  const rand = seededRand(opts.seed ?? 1);
  const nodeCount = Math.max(1, opts.nodes ?? 3);
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `pve${i + 1}`, online: true }));
  const guests: SimGuest[] = [];
  for (let i = 0; i < opts.guests; i++) {
    const vmid = 100 + i;
    const n = i % nodeCount;
    const type = rand() < 0.7 ? "qemu" : "lxc";
    const running = opts.allHealthy || rand() < 0.85;
    const r = rand();
    let agent: AgentMode = "ok";
    if (!opts.allHealthy && type === "qemu") {
      if (r < 0.08) agent = "off";
      else if (r < 0.11) agent = "not-running";
      else if (r < 0.13) agent = "unsupported";
      else if (r < 0.18) agent = "windows";
    }
    const host = i % 254;
    const sub = Math.floor(i / 254) % 256;
    const nic = {
      name: type === "lxc" ? "eth0" : agent === "windows" ? "Ethernet" : "ens18",
      mac: mac(i, 0),
      ipv4: [`10.${n}.${sub}.${host + 1}/16`],
      ...(opts.ipv6 ? { ipv6: [`fd00:${n}::${(i + 1).toString(16)}/64`] } : {}),
    };
    const tagCount = Math.floor(rand() * 3);
    const tags = Array.from({ length: tagCount }, () => TAGS[Math.floor(rand() * TAGS.length)]!).join(";");
    guests.push({
      vmid,
      type,
      node: nodes[n]!.name,
      name: `${ROLES[i % ROLES.length]}-${String(i + 1).padStart(4, "0")}`,
      status: running ? "running" : "stopped",
      uptime: running ? 1000 + Math.floor(rand() * 1_000_000) : 0,
      ...(tags ? { tags } : {}),
      ...(type === "qemu" ? { agent } : { staticConfig: rand() < 0.5 }),
      nics: [nic],
    });
  }
  return { nodes, guests, version: { version: "8.2.4", release: "8.2", repoid: "faa83925c9641325" } };
}
