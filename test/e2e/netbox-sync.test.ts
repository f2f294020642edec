/**
 * The NetBox half of the pipeline, end to end in process: Proxmox simulator (HTTPS) → collector →
 * reconciler → NetBox provider → the strict NetBox double (which rejects anything the real NetBox
 * would). DNS is the in-memory provider here (real PowerDNS is covered by dns-sync.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { applyNetboxClean, planNetboxClean } from "../../src/app/clean.ts";
import { createProxmoxSource } from "../../src/collect/index.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createMemoryDnsProvider } from "../../src/providers/dns/memory.ts";
import { createNetboxProvider, type NetboxProvider } from "../../src/providers/ipam/netbox/index.ts";
import { createReconciler, type Reconciler } from "../../src/reconcile/reconciler.ts";
import { createMemoryStore } from "../../src/reconcile/store.ts";
import { type ProxmoxSim, type SimGuest, startProxmoxSim } from "../../src/sim/index.ts";
import { createNetboxDouble, type NetboxDouble } from "../../src/testing/netbox-double/index.ts";

const signal = new AbortController().signal;

function vm(vmid: number, name: string, ip: string, status: SimGuest["status"] = "running"): SimGuest {
  return {
    vmid,
    type: "qemu",
    node: "pve1",
    name,
    status,
    uptime: 500,
    agent: "ok",
    staticConfig: true,
    nics: [{ name: "ens18", mac: `BC:24:11:AA:00:${vmid.toString(16).padStart(2, "0")}`, ipv4: [ip] }],
  };
}

let sim: ProxmoxSim;
let nb: NetboxDouble;
let provider: NetboxProvider;
let rec: Reconciler;

beforeAll(async () => {
  [sim, nb] = await Promise.all([
    startProxmoxSim({
      nodes: [{ name: "pve1", online: true }],
      guests: [
        vm(100, "web", "10.0.0.10/24"),
        vm(101, "db", "10.0.0.11/24"),
        vm(102, "cache", "10.0.0.12/24"),
      ],
    }),
    createNetboxDouble(),
  ]);
  provider = createNetboxProvider({
    url: nb.url,
    token: nb.token,
    tag: "pipam",
    logger: silentLogger,
    retries: 2,
    retryBaseMs: 20,
  });
  const source = createProxmoxSource(
    [
      {
        name: "pve",
        url: sim.url,
        tokenId: sim.tokenId,
        secret: sim.secret,
        insecure: false,
        fingerprint: sim.fingerprint,
        timeoutMs: 5000,
        concurrencyPerNode: 4,
      },
    ],
    { logger: silentLogger },
  );
  const dns = createMemoryDnsProvider({ ownerId: "o", zones: ["lab.example."] });
  rec = createReconciler({
    source,
    dns: {
      provider: dns,
      ownerId: "o",
      policy: "sync",
      rules: {
        zones: [{ zone: "lab.example.", networks: ["10.0.0.0/16"] }],
        skipCidrs: [],
        ttl: 300,
        ptr: false,
        ignoreInterfaces: [],
        tags: { ignore: "pipam-ignore" },
      },
    },
    ipam: { provider, derive: { clusterName: "pve" }, plan: { tag: "pipam", adopt: false, policy: "sync" } },
    store: createMemoryStore(),
    clock: systemClock,
    logger: silentLogger,
  });
  // made by someone else: never touched
  const ct = nb.seed("clustertype", { name: "VMware", slug: "vmware" });
  const cl = nb.seed("cluster", { name: "old-esx", type: ct.id });
  nb.seed("vm", { name: "legacy-box", status: "active", cluster: cl.id });
});

afterAll(async () => {
  await Promise.allSettled([sim?.stop(), nb?.stop()]);
});

const vmNames = () =>
  [...nb.store.maps.vm.values()]
    .map((v) => `${v.name as string}:${(v.status as { value?: string })?.value ?? v.status}`)
    .sort();

describe("NetBox sync through the reconciler", () => {
  test("first sync creates VMs with their IPs (dns_name from the DNS side); NetBox rejected nothing", async () => {
    const r = await rec.runCycle({ full: true }, signal);
    expect(r.errors).toEqual([]);
    expect(r.ipam?.writes).toBeGreaterThan(0);
    expect(vmNames()).toEqual(["cache:active", "db:active", "legacy-box:active", "web:active"]);
    const ips = [...nb.store.maps.ip.values()]
      .map((i) => `${i.address as string} ${i.dns_name as string}`)
      .sort();
    expect(ips).toContain("10.0.0.10/24 web.lab.example");
    expect(nb.rejected).toEqual([]);
  });

  test("an unchanged cycle neither reads nor writes NetBox", async () => {
    const before = provider.client.stats();
    const r = await rec.runCycle({ full: false }, signal);
    expect(r.ipam?.read).toBe(false);
    const after = provider.client.stats();
    expect(after.writes).toBe(before.writes);
    expect(after.reads).toBe(before.reads);
  });

  test("stopped → offline, removed → deleted, the foreign VM stays", async () => {
    sim.mutate((s) => {
      s.guests.find((g) => g.vmid === 101)!.status = "stopped";
      s.guests = s.guests.filter((g) => g.vmid !== 102);
    });
    const r = await rec.runCycle({ full: false }, signal);
    expect(r.errors).toEqual([]);
    expect(vmNames()).toEqual(["db:offline", "legacy-box:active", "web:active"]);
    expect(nb.rejected).toEqual([]);
  });

  test("NetBox down: the cycle fails and nothing is lost; back up: converges", async () => {
    sim.mutate((s) => {
      s.guests.push(vm(110, "new", "10.0.0.110/24"));
    });
    await nb.down();
    const down = await rec.runCycle({ full: false }, signal);
    expect(down.errors.some((e) => e.startsWith("netbox"))).toBe(true);
    await nb.up();
    const up = await rec.runCycle({ full: false }, signal);
    expect(up.errors).toEqual([]);
    expect(vmNames()).toContain("new:active");
  });

  test("clean removes every tagged object and leaves the foreign VM", async () => {
    const plan = await planNetboxClean(provider, "pipam", undefined, signal);
    expect(plan.vms.map((v) => v.name).sort()).toEqual(["db", "new", "web"]);
    await applyNetboxClean(provider, plan, signal);
    expect(vmNames()).toEqual(["legacy-box:active"]);
    expect(nb.store.maps.ip.size).toBe(0);
    expect(nb.rejected).toEqual([]);
  });
});
