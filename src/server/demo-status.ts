/**
 * @module An in-memory `StatusSource` with made-up but plausible data, for tests, benchmarks and
 * the demo. Deterministic: the same options give the same guests (no clock, no Math.random).
 */
import type { GuestKey } from "../state/model.ts";
import type { GuestView, StatusSnapshot, StatusSource, SyncState } from "./status.ts";

export interface DemoOptions {
  /** Number of guests (default 25). */
  guests?: number;
  mode?: "single" | "cluster";
  /** Epoch ms used for cycle and health timestamps (default 1_700_000_000_000). */
  now?: number;
  seed?: number;
}

export interface DemoStatusSource extends StatusSource {
  addGuest(g: GuestView): void;
  removeGuest(key: GuestKey): void;
  /** Replace parts of the snapshot (e.g. the node's role). */
  update(patch: Partial<StatusSnapshot>): void;
}

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROLES = ["web", "db", "cache", "api", "worker", "proxy", "mail", "git", "ci", "mon"];

export function demoGuest(i: number, rand: () => number = prng(i + 1)): GuestView {
  const cluster = i % 7 === 0 ? "lab" : "pve";
  const vmid = 100 + i;
  const name = `${ROLES[i % ROLES.length]}${Math.floor(i / ROLES.length) + 1}`;
  const running = rand() > 0.1;
  const ip4 = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const ip6 = `fd00::${i.toString(16)}`;
  const r = rand();
  const state: SyncState = r < 0.8 ? "in-sync" : r < 0.9 ? "pending" : r < 0.97 ? "failed" : "conflict";
  const error =
    state === "failed" ? "powerdns: 422 Unprocessable Entity: RRset web1. IN A: bad content" : undefined;
  const fqdn = `${name}.example.com.`;
  return {
    key: `${cluster}/${vmid}`,
    cluster,
    node: `node${(i % 3) + 1}`,
    vmid,
    type: i % 4 === 0 ? "lxc" : "qemu",
    name,
    status: running ? "running" : "stopped",
    ips: running
      ? [
          { ip: ip4, source: i % 4 === 0 ? "lxc-interfaces" : "agent" },
          { ip: ip6, source: "agent" },
        ]
      : [],
    dns: running
      ? [
          { name: fqdn, type: "A", records: [ip4], state, provider: "powerdns", ...(error ? { error } : {}) },
          { name: fqdn, type: "AAAA", records: [ip6], state: "in-sync", provider: "powerdns" },
        ]
      : [],
    netbox: running
      ? [
          { object: `virtual-machine ${name}`, state: "in-sync", provider: "netbox" },
          {
            object: `ip-address ${ip4}/24`,
            state: state === "failed" ? "pending" : state,
            provider: "netbox",
          },
        ]
      : [],
  };
}

export function demoSnapshot(opts: DemoOptions = {}): StatusSnapshot {
  const n = opts.guests ?? 25;
  const now = opts.now ?? 1_700_000_000_000;
  const rand = prng(opts.seed ?? 42);
  const guests: GuestView[] = [];
  for (let i = 0; i < n; i++) guests.push(demoGuest(i, rand));
  const cluster = opts.mode === "cluster";
  return {
    mode: cluster ? "cluster" : "single",
    node: cluster
      ? { id: "1", role: "leader", leaderId: "1", term: 7, commit: 1204, applied: 1204 }
      : { id: "local", role: "single" },
    peers: cluster
      ? [
          { id: "2", url: "http://10.1.0.2:9180", lastContactMs: 120, match: 1204, state: "replicate" },
          { id: "3", url: "http://10.1.0.3:9180", lastContactMs: 95, match: 1203, state: "replicate" },
        ]
      : [],
    cycles: Array.from({ length: 12 }, (_, k) => ({
      startedAt: now - (k + 1) * 30_000,
      durationMs: Math.round(200 + rand() * 900),
      changes: k % 5 === 0 ? 3 : 0,
      errors: k === 2 ? ["proxmox[lab]: node node3: timeout after 10s"] : [],
      kind: k % 10 === 0 ? ("full" as const) : ("reconcile" as const),
    })),
    guests,
    conflicts:
      n > 3
        ? [
            {
              kind: "fqdn",
              subject: "web1.example.com.",
              winner: guests[0]!.key,
              losers: [guests[3]!.key],
              message: "two guests want web1.example.com.; the lowest vmid keeps it",
            },
          ]
        : [],
    providers: [
      { name: "proxmox[pve]", ok: true, detail: "3 nodes, API 8.2", checkedAt: now - 5_000 },
      { name: "proxmox[lab]", ok: false, detail: "node3: timeout after 10s", checkedAt: now - 5_000 },
      { name: "powerdns", ok: true, detail: "zone example.com. reachable", checkedAt: now - 4_000 },
      { name: "netbox", ok: true, detail: "NetBox 4.2.6", checkedAt: now - 4_000 },
    ],
  };
}

/** A mutable demo source: tests add guests and change roles while the page is open. */
export function createDemoStatusSource(opts: DemoOptions = {}): DemoStatusSource {
  let snap = demoSnapshot(opts);
  return {
    snapshot: () => snap,
    addGuest(g) {
      snap = { ...snap, guests: [...snap.guests, g] };
    },
    removeGuest(key) {
      snap = { ...snap, guests: snap.guests.filter((g) => g.key !== key) };
    },
    update(patch) {
      snap = { ...snap, ...patch };
    },
  };
}
