import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Clock } from "../../lib/clock.ts";
import { silentLogger } from "../../log/logger.ts";
import { demoScenario, type ProxmoxSim, type SimGuest, startProxmoxSim } from "../../sim/index.ts";
import type { Guest, Inventory } from "../../state/model.ts";
import type { ProxmoxEndpoint } from "./client.ts";
import { createProxmoxSource } from "./collector.ts";

let sim: ProxmoxSim;
let t = 1_000_000;
const clock: Clock = { now: () => t, sleep: async () => {} };
const signal = new AbortController().signal;

const ep = (over: Partial<ProxmoxEndpoint> = {}): ProxmoxEndpoint => ({
  name: "lab",
  url: sim.url,
  tokenId: sim.tokenId,
  secret: sim.secret,
  insecure: false,
  fingerprint: sim.fingerprint,
  timeoutMs: 3000,
  concurrencyPerNode: 3,
  ...over,
});
const ips = (g: Guest | undefined) => (g?.nics ?? []).flatMap((n) => n.addresses.map((a) => a.ip));
const byId = (inv: Inventory, vmid: number) => inv.guests.find((g) => g.vmid === vmid);

const LONG_NAME = `h${"x".repeat(299)}`;

beforeAll(async () => {
  sim = await startProxmoxSim({ nodes: [{ name: "pve1" }], guests: [] });
});
afterAll(async () => {
  await sim.stop();
});

function healthy(): SimGuest[] {
  const s = demoScenario({ guests: 6, nodes: 2, allHealthy: true, ipv6: true });
  return s.guests;
}

describe("bad input: clear errors, other guests still collected", () => {
  test("faults per guest", async () => {
    const guests = healthy(); // vmids 100..105 on pve1/pve2
    guests.push({
      vmid: 200,
      type: "qemu",
      node: "pve1",
      name: LONG_NAME,
      status: "running",
      agent: "ok",
      uptime: 50,
      nics: [{ name: "ens18", mac: "BC:24:11:00:02:00", ipv4: ["10.9.0.200/24"] }],
    });
    guests.push({ vmid: 300, type: "qemu", node: "pve3", name: "on-dead-node", status: "running", nics: [] });
    const q = (id: number) => guests.find((g) => g.vmid === id)!;
    const agent = (id: number) =>
      `/nodes/${q(id).node}/${q(id).type}/${id}/${q(id).type === "qemu" ? "agent/network-get-interfaces" : "interfaces"}`;
    const config = (id: number) => `/nodes/${q(id).node}/${q(id).type}/${id}/config`;
    const invalidUtf8 = new Uint8Array([
      ...new TextEncoder().encode('{"data":{"result":[{"name":"e'),
      0xc3,
      0x28,
      ...new TextEncoder().encode('"}]}}'),
    ]);
    sim.setScenario({
      nodes: [{ name: "pve1" }, { name: "pve2" }, { name: "pve3" }],
      guests,
      faults: [
        { path: agent(100), status: 200, body: '{"data":{"result":[{"name":' },
        {
          path: config(101),
          status: 502,
          reason: "Bad Gateway",
          body: "<html><h1>502 Bad Gateway</h1></html>",
          contentType: "text/html",
        },
        {
          path: agent(102),
          status: 403,
          reason: "Permission check failed (/vms/102, VM.Monitor)",
          body: '{"data":null}',
        },
        {
          path: config(103),
          status: 500,
          reason: "got timeout",
          body: '{"data":null,"message":"unable to read config: got timeout\\n"}',
        },
        { path: agent(104), delayMs: 4000 },
        { path: agent(105), hugeBytes: 50 * 1024 * 1024 },
        { path: agent(200), status: 200, body: invalidUtf8 },
        {
          path: config(300),
          status: 595,
          reason: "Errors during connection establishment, proxy handshake: No route to host",
        },
      ],
    });
    const src = createProxmoxSource([ep({ timeoutMs: 1500 })], { logger: silentLogger, clock });
    const inv = await src.collect(signal);
    expect(inv.complete).toBe(true);
    expect(inv.guests.map((g) => g.vmid)).toEqual([100, 101, 102, 103, 104, 105, 200, 300]);
    const err = (id: number) => byId(inv, id)?.error ?? "";
    expect(err(100)).toContain("response is not JSON");
    expect(err(101)).toContain("HTTP 502 Bad Gateway");
    expect(err(102)).toContain("VM.Monitor");
    expect(err(102)).toContain("VM.GuestAgent.Audit");
    expect(err(103)).toContain("HTTP 500 unable to read config: got timeout");
    expect(err(104)).toContain("no complete answer within 1500 ms");
    expect(err(105)).toContain("response body exceeds 16 MiB");
    expect(err(200)).toContain("not valid UTF-8");
    expect(err(300)).toContain("HTTP 595");
    for (const e of [100, 101, 102, 103, 104, 105, 200, 300]) expect(err(e)).toContain(`/${e}/`);
    // The guest with the 300-character name is kept intact (derive decides about DNS names).
    expect(byId(inv, 200)?.name).toBe(LONG_NAME);
    // A guest whose live call failed still has its config NICs (MAC) but no made-up addresses.
    expect(byId(inv, 102)?.nics.map((n) => n.mac)).toEqual([guests[2]!.nics[0]!.mac.toLowerCase()]);
    expect(inv.errors.map((e) => e.vmid).sort()).toEqual([100, 101, 102, 103, 104, 105, 200, 300]);

    // Remove the faults: the next cycle retries only the failed guests once their retry is due.
    sim.mutate((s) => {
      s.faults = [];
    });
    sim.resetCalls();
    t += 61_000;
    const inv2 = await src.collect(signal);
    // Passing failures are retried after retryMs; a permission error only at the slow refresh pace.
    expect(inv2.errors.map((e) => e.vmid)).toEqual([102]);
    expect(sim.calls.config).toBe(7);
    t += 600_000;
    const inv3 = await src.collect(signal);
    expect(inv3.errors).toEqual([]);
    expect(ips(byId(inv2, 200))).toContain("10.9.0.200");
    expect(ips(byId(inv2, 100))).toContain(guests[0]!.nics[0]!.ipv4![0]!.split("/")[0]!);
  });

  test("a guest list that fails keeps every known guest and marks the inventory incomplete", async () => {
    sim.setScenario(demoScenario({ guests: 5, nodes: 2, allHealthy: true }));
    const src = createProxmoxSource([ep()], { logger: silentLogger, clock });
    const first = await src.collect(signal);
    expect(first.complete).toBe(true);
    const cases = [
      { status: 500, reason: "pmxcfs not ready", body: '{"data":null}' },
      { status: 200, body: "<!DOCTYPE html><html>maintenance</html>", contentType: "text/html" },
      { status: 200, body: '{"data":{"not":"a list"}}' },
      { status: 401, reason: "Authentication failed!" },
    ];
    for (const f of cases) {
      sim.mutate((s) => {
        s.faults = [{ path: "/cluster/resources", ...f }];
      });
      const inv = await src.collect(signal);
      expect(inv.complete).toBe(false);
      expect(inv.guests.map((g) => g.vmid)).toEqual(first.guests.map((g) => g.vmid));
      expect(inv.guests.map((g) => ips(g))).toEqual(first.guests.map((g) => ips(g)));
      expect(inv.guests.every((g) => g.error?.startsWith("not listed this cycle"))).toBe(true);
      expect(inv.errors[0]?.message).toContain("/cluster/resources");
    }
    sim.mutate((s) => {
      s.faults = [];
    });
    const back = await src.collect(signal);
    expect(back.complete).toBe(true);
    expect(back.guests.every((g) => g.error === undefined)).toBe(true);
  });

  test("a list failure on one endpoint does not hide another endpoint's guests", async () => {
    sim.setScenario(demoScenario({ guests: 3, nodes: 1, allHealthy: true }));
    const src = createProxmoxSource([ep({ name: "a" }), ep({ name: "b", secret: "wrong" })], {
      logger: silentLogger,
      clock,
    });
    const inv = await src.collect(signal);
    expect(inv.complete).toBe(false);
    expect(inv.guests.map((g) => `${g.cluster}/${g.vmid}`)).toEqual(["a/100", "a/101", "a/102"]);
    expect(inv.errors.map((e) => e.message).join()).toContain(
      "proxmox[b] GET /cluster/resources?type=vm: authentication failed",
    );
  });
});

describe("steady state", () => {
  test("unchanged: one list call; changes re-read only what changed; slow refresh", async () => {
    const scenario = demoScenario({ guests: 12, nodes: 3, allHealthy: true });
    sim.setScenario(scenario);
    const src = createProxmoxSource([ep()], { logger: silentLogger, clock, refreshMs: 600_000 });
    sim.resetCalls();
    const first = await src.collect(signal);
    expect(first.guests).toHaveLength(12);
    expect(sim.calls.list).toBe(1);
    expect(sim.calls.config).toBe(12);
    expect(sim.calls.agent + sim.calls.interfaces).toBe(12);

    sim.resetCalls();
    t += 30_000;
    const second = await src.collect(signal);
    expect(sim.calls.total).toBe(1);
    expect(second.guests).toEqual(first.guests);

    // One stops, one reboots, one is renamed, one appears, one disappears.
    sim.mutate((s) => {
      s.guests[0]!.status = "stopped";
      s.guests[2]!.name = "renamed";
      s.guests.splice(3, 1);
      s.guests.push({
        vmid: 999,
        type: "lxc",
        node: "pve1",
        name: "new-ct",
        status: "running",
        nics: [{ name: "eth0", mac: "BC:24:11:09:09:09", ipv4: ["10.7.7.7/24"] }],
      });
    });
    sim.reboot(scenario.guests[1]!.vmid);
    sim.resetCalls();
    t += 30_000;
    const third = await src.collect(signal);
    expect(sim.calls.list).toBe(1);
    expect(sim.calls.config).toBe(4); // stopped, rebooted, renamed, new
    expect(sim.calls.agent + sim.calls.interfaces).toBe(3); // rebooted, renamed, new (the stopped one: config only)
    expect(third.guests.map((g) => g.vmid)).not.toContain(103);
    expect(ips(byId(third, 999))).toEqual(["127.0.0.1", "::1", "10.7.7.7"]);
    expect(byId(third, 102)?.name).toBe("renamed");

    // After the refresh interval every guest has been re-read once, spread over the window.
    sim.resetCalls();
    let reads = 0;
    for (let i = 0; i < 20; i++) {
      t += 30_000;
      await src.collect(signal);
      reads += sim.calls.config;
      sim.resetCalls();
    }
    expect(reads).toBeGreaterThanOrEqual(12);
    expect(reads).toBeLessThanOrEqual(24);
  });

  test("a failing agent on a guest that did not reboot keeps its last live addresses", async () => {
    const s = demoScenario({ guests: 2, nodes: 1, allHealthy: true });
    s.guests[0]!.type = "qemu";
    s.guests[0]!.agent = "ok";
    sim.setScenario(s);
    const src = createProxmoxSource([ep()], { logger: silentLogger, clock, refreshMs: 60_000 });
    const before = byId(await src.collect(signal), 100);
    sim.mutate((x) => {
      x.guests[0]!.agent = "not-running";
    });
    t += 61_000;
    const after = byId(await src.collect(signal), 100);
    expect(after?.error).toContain("QEMU guest agent is not running");
    expect(ips(after)).toEqual(ips(before));
    expect(after?.detailsAt).toBe(before?.detailsAt);
  });

  test("abort fails the cycle", async () => {
    sim.setScenario({ ...demoScenario({ guests: 3, nodes: 1 }), latency: { config: 200 } });
    const src = createProxmoxSource([ep()], { logger: silentLogger, clock });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("shutdown")), 50);
    await expect(src.collect(ac.signal)).rejects.toThrow("shutdown");
  });
});
