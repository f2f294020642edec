/**
 * End to end, in process: the Proxmox simulator (real HTTPS) → collector → reconciler → a real
 * PowerDNS on loopback, checked with `dig`. Foreign records seeded by hand must survive every step.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { applyClean, planClean } from "../../src/app/clean.ts";
import { createProxmoxSource } from "../../src/collect/index.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createPowerDnsProvider } from "../../src/providers/dns/powerdns/index.ts";
import { createReconciler, type DnsTarget, type Reconciler } from "../../src/reconcile/reconciler.ts";
import { createMemoryStore } from "../../src/reconcile/store.ts";
import { type ProxmoxSim, type Scenario, type SimGuest, startProxmoxSim } from "../../src/sim/index.ts";
import type { Policy } from "../../src/state/model.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";

const OWNER = "pipam-e2e";
const ZONE = "lab.example.";
const signal = new AbortController().signal;

function vm(vmid: number, name: string, ip4: string, ip6?: string, extra: Partial<SimGuest> = {}): SimGuest {
  return {
    vmid,
    type: "qemu",
    node: "pve1",
    name,
    status: "running",
    uptime: 1000,
    agent: "ok",
    nics: [
      {
        name: "ens18",
        mac: `BC:24:11:00:01:${(vmid % 256).toString(16).padStart(2, "0")}`,
        ipv4: [ip4],
        ...(ip6 ? { ipv6: [ip6] } : {}),
      },
    ],
    ...extra,
  };
}

function scenario(): Scenario {
  return {
    nodes: [{ name: "pve1", online: true }],
    guests: [
      vm(100, "web", "10.0.0.10/24", "fd00::10/64"),
      vm(101, "db", "10.0.0.11/24"),
      { ...vm(102, "cache", "10.0.0.12/24"), type: "lxc", agent: undefined },
      vm(103, "printer", "10.0.0.13/24"), // name held by a hand-made record → conflict
    ],
  };
}

let pdns: TestPdns;
let sim: ProxmoxSim;

beforeAll(async () => {
  [pdns, sim] = await Promise.all([startPdns(), startProxmoxSim(scenario())]);
  await pdns.createZone(ZONE);
  await pdns.createZone("10.in-addr.arpa.");
  await pdns.createZone("0.0.d.f.ip6.arpa.");
  // made by hand: pipam must never touch these
  await pdns.seed(ZONE, { name: "printer.lab.example.", type: "A", ttl: 3600, records: ["10.9.9.9"] });
  await pdns.seed(ZONE, {
    name: "www.lab.example.",
    type: "CNAME",
    ttl: 3600,
    records: ["web.lab.example."],
  });
});

afterAll(async () => {
  await Promise.allSettled([pdns?.stop(), sim?.stop()]);
});

function makeReconciler(policy: Policy = "sync", store = createMemoryStore()): Reconciler {
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
  return createReconciler({
    source,
    dns: dnsTarget(policy),
    store,
    clock: systemClock,
    logger: silentLogger,
  });
}

function dnsTarget(policy: Policy): DnsTarget {
  const provider = createPowerDnsProvider({
    url: pdns.url,
    apiKey: pdns.apiKey,
    ownerId: OWNER,
    zones: [ZONE],
    retries: 2,
    retryBaseMs: 50,
    timeoutMs: 3000,
    logger: silentLogger,
  });
  return {
    provider,
    ownerId: OWNER,
    policy,
    rules: {
      zones: [{ zone: ZONE, networks: ["10.0.0.0/16", "fd00::/16"] }],
      skipCidrs: [],
      ttl: 300,
      ptr: true,
      ignoreInterfaces: ["docker*", "veth*"],
      tags: { ignore: "pipam-ignore" },
    },
  };
}

async function foreignIntact() {
  expect(await pdns.dig("printer.lab.example.", "A")).toEqual(["10.9.9.9"]);
  expect(await pdns.dig("www.lab.example.", "CNAME")).toEqual(["web.lab.example."]);
}

describe("DNS sync against real PowerDNS", () => {
  const rec = () => shared;
  let shared: Reconciler;

  test("first cycle creates A, AAAA and PTR; a foreign name is a conflict", async () => {
    shared = makeReconciler();
    const r = await rec().runCycle({ full: true }, signal);
    expect(r.errors).toEqual([]);
    expect(await pdns.dig("web.lab.example.", "A")).toEqual(["10.0.0.10"]);
    expect(await pdns.dig("web.lab.example.", "AAAA")).toEqual(["fd00::10"]);
    expect(await pdns.dig("cache.lab.example.", "A")).toEqual(["10.0.0.12"]);
    expect(await pdns.dig("10.0.0.10.in-addr.arpa.", "PTR")).toEqual(["web.lab.example."]);
    expect(r.conflicts.some((c) => c.kind === "foreign" && c.subject.startsWith("printer"))).toBe(true);
    await foreignIntact();
  });

  test("an unchanged cycle writes nothing (serial unchanged)", async () => {
    const serial = await pdns.serial(ZONE);
    const r = await rec().runCycle({ full: false }, signal);
    expect(r.writes).toBe(0);
    expect(r.providerRead).toBe(false);
    expect(await pdns.serial(ZONE)).toBe(serial);
  });

  test("IP change updates A and PTR", async () => {
    sim.mutate((s) => {
      s.guests.find((g) => g.vmid === 101)!.nics[0]!.ipv4 = ["10.0.0.21/24"];
    });
    sim.reboot(101);
    const r = await rec().runCycle({ full: false }, signal);
    expect(r.errors).toEqual([]);
    expect(await pdns.dig("db.lab.example.", "A")).toEqual(["10.0.0.21"]);
    expect(await pdns.dig("21.0.0.10.in-addr.arpa.", "PTR")).toEqual(["db.lab.example."]);
    expect(await pdns.dig("11.0.0.10.in-addr.arpa.", "PTR")).toEqual([]);
    await foreignIntact();
  });

  test("a stopped guest keeps its records (documented in src/state/NAMES.md)", async () => {
    sim.mutate((s) => {
      s.guests.find((g) => g.vmid === 102)!.status = "stopped";
    });
    await rec().runCycle({ full: false }, signal);
    expect(await pdns.dig("cache.lab.example.", "A")).toEqual(["10.0.0.12"]);
  });

  test("two guests wanting one name: the lowest identity keeps it, every cycle", async () => {
    sim.mutate((s) => {
      s.guests.push(vm(99, "web", "10.0.0.99/24"));
    });
    for (let i = 0; i < 2; i++) {
      const r = await rec().runCycle({ full: true }, signal);
      expect(r.conflicts.some((c) => c.kind === "fqdn" && c.winner === "pve/99")).toBe(true);
      expect(await pdns.dig("web.lab.example.", "A")).toEqual(["10.0.0.99"]);
    }
    sim.mutate((s) => {
      s.guests.splice(
        s.guests.findIndex((g) => g.vmid === 99),
        1,
      );
    });
    await rec().runCycle({ full: false }, signal);
    expect(await pdns.dig("web.lab.example.", "A")).toEqual(["10.0.0.10"]);
  });

  test("upsert-only and create-only never delete; sync deletes a removed guest", async () => {
    sim.mutate((s) => {
      s.guests.splice(
        s.guests.findIndex((g) => g.vmid === 100),
        1,
      );
    });
    for (const policy of ["upsert-only", "create-only"] as const) {
      const r = await makeReconciler(policy).runCycle({ full: true }, signal);
      expect(r.changes.delete).toEqual([]);
      expect(await pdns.dig("web.lab.example.", "A")).toEqual(["10.0.0.10"]);
    }
    await rec().runCycle({ full: false }, signal);
    expect(await pdns.dig("web.lab.example.", "A")).toEqual([]);
    expect(await pdns.dig("web.lab.example.", "AAAA")).toEqual([]);
    expect(await pdns.dig("10.0.0.10.in-addr.arpa.", "PTR")).toEqual([]);
    await foreignIntact();
  });

  test("a failed guest list never deletes", async () => {
    sim.mutate((s) => {
      s.faults = [{ path: "/cluster/resources", status: 500, times: 1 }];
    });
    const r = await rec().runCycle({ full: true }, signal);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.changes.delete).toEqual([]);
    expect(await pdns.dig("db.lab.example.", "A")).toEqual(["10.0.0.21"]);
    sim.mutate((s) => {
      s.faults = [];
    });
  });

  test("PowerDNS down mid-run: the cycle fails, then converges when it is back", async () => {
    sim.mutate((s) => {
      s.guests.push(vm(110, "new", "10.0.0.110/24"));
    });
    await pdns.kill();
    const down = await rec().runCycle({ full: false }, signal);
    expect(down.errors.length).toBeGreaterThan(0);
    await pdns.restart();
    const up = await rec().runCycle({ full: false }, signal);
    expect(up.errors).toEqual([]);
    expect(await pdns.dig("new.lab.example.", "A")).toEqual(["10.0.0.110"]);
    await foreignIntact();
  });

  test("clean --collect removes only the collected guests' owned records; clean removes the rest; foreign stay", async () => {
    const dns = dnsTarget("sync");
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
    sim.mutate((s) => {
      s.guests = s.guests.filter((g) => g.vmid === 110);
    });
    const inv = await source.collect(signal);
    const some = await planClean(dns, inv, signal);
    expect(some.delete.map((r) => r.name)).toContain("new.lab.example.");
    expect(some.delete.map((r) => r.name)).not.toContain("db.lab.example.");
    await applyClean(dns, some, signal);
    expect(await pdns.dig("new.lab.example.", "A")).toEqual([]);
    expect(await pdns.dig("db.lab.example.", "A")).toEqual(["10.0.0.21"]);
    const all = await planClean(dns, undefined, signal);
    await applyClean(dns, all, signal);
    expect(await pdns.dig("db.lab.example.", "A")).toEqual([]);
    expect(await pdns.dig("cache.lab.example.", "A")).toEqual([]);
    await foreignIntact();
    const zone = await pdns.zone(ZONE);
    expect(zone.rrsets.filter((r) => r.comments.some((c) => c.account === OWNER))).toEqual([]);
  });
});
