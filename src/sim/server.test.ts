import { afterAll, beforeAll, expect, test } from "bun:test";
import { demoScenario } from "./demo-scenario.ts";
import { type ProxmoxSim, startProxmoxSim } from "./server.ts";

let sim: ProxmoxSim;
let now = 0;

async function get(
  path: string,
  auth = true,
): Promise<{ status: number; reason: string; body: string; json?: { data: unknown; message?: string } }> {
  const res = await fetch(`${sim.url}/api2/json${path}`, {
    headers: auth ? { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.secret}` } : {},
    tls: { ca: sim.caPem },
  } as RequestInit);
  const body = await res.text();
  let json: { data: unknown; message?: string } | undefined;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, reason: res.statusText, body, ...(json ? { json } : {}) };
}

beforeAll(async () => {
  const s = demoScenario({ guests: 6, nodes: 2, seed: 3, allHealthy: true, ipv6: true });
  s.nodes.push({ name: "pve9", online: false });
  s.guests.push({ vmid: 900, type: "qemu", node: "pve9", name: "lost", status: "running", nics: [] });
  s.timeline = [
    {
      afterMs: 5_000,
      apply: (x) =>
        x.guests.push({ vmid: 950, type: "lxc", node: "pve1", name: "late", status: "running", nics: [] }),
    },
  ];
  sim = await startProxmoxSim(s, { now: () => now });
});
afterAll(async () => {
  await sim.stop();
});

test("token auth: 401 with an empty body and the reason phrase", async () => {
  const none = await get("/version", false);
  expect([none.status, none.reason, none.body]).toEqual([401, "No ticket", ""]);
  const res = await fetch(`${sim.url}/api2/json/version`, {
    headers: { Authorization: `PVEAPIToken=${sim.tokenId}=bad` },
    tls: { ca: sim.caPem },
  } as RequestInit);
  expect([res.status, res.statusText, await res.text()]).toEqual([401, "Authentication failed!", ""]);
  expect(sim.calls.unauthorized).toBe(2);
});

test("guest list: type filter, offline node guests as bare unknown entries, uptime advances", async () => {
  const list = async (q = "?type=vm") =>
    ((await get(`/cluster/resources${q}`)).json?.data ?? []) as Array<Record<string, unknown>>;
  const all = await list("");
  expect(all.filter((e) => e.type === "node")).toHaveLength(3);
  const vms = await list();
  expect(vms.every((e) => e.type === "qemu" || e.type === "lxc")).toBe(true);
  expect(vms.find((e) => e.vmid === 900)).toEqual({
    id: "qemu/900",
    vmid: 900,
    node: "pve9",
    type: "qemu",
    status: "unknown",
  });
  const before = vms.find((e) => e.vmid === 100)!.uptime as number;
  now += 3_000;
  const later = (await list()).find((e) => e.vmid === 100)!;
  expect(later.uptime).toBe(before + 3);
  sim.reboot(100);
  now += 1_000;
  const rebooted = (await list()).find((e) => e.vmid === 100)!;
  expect(rebooted.uptime).toBe(1);
});

test("timeline: a guest appears once its time has come", async () => {
  now = 4_000;
  let vms = (await get("/cluster/resources?type=vm")).json?.data as Array<{ vmid: number }>;
  expect(vms.map((v) => v.vmid)).not.toContain(950);
  now = 5_000;
  vms = (await get("/cluster/resources?type=vm")).json?.data as Array<{ vmid: number }>;
  expect(vms.map((v) => v.vmid)).toContain(950);
  // It boots when it appears, not when the simulator started.
  now = 7_000;
  const listed = ((await get("/cluster/resources?type=vm")).json?.data ?? []) as Array<{
    vmid: number;
    uptime: number;
  }>;
  const late = listed.find((v) => v.vmid === 950);
  expect(late?.uptime).toBe(2);
});

test("per-guest endpoints: wrong node, offline node (595), agent modes, error bodies", async () => {
  const g = sim.scenario.guests.find((x) => x.type === "qemu" && x.node === "pve1")!;
  const wrong = await get(`/nodes/pve2/qemu/${g.vmid}/config`);
  expect([wrong.status, wrong.reason]).toEqual([
    500,
    `Configuration file 'nodes/pve2/qemu-server/${g.vmid}.conf' does not exist`,
  ]);
  expect(wrong.json).toEqual({ data: null, message: `${wrong.reason}\n` });
  const off = await get("/nodes/pve9/qemu/900/config");
  expect([off.status, off.body]).toEqual([595, ""]);
  const agent = await get(`/nodes/pve1/qemu/${g.vmid}/agent/network-get-interfaces`);
  expect((agent.json?.data as { result?: unknown[] } | undefined)?.result?.length).toBe(2);
  sim.mutate((s) => {
    s.messageInBody = false;
    s.guests.find((x) => x.vmid === g.vmid)!.agent = "not-running";
  });
  const nr = await get(`/nodes/pve1/qemu/${g.vmid}/agent/network-get-interfaces`);
  expect([nr.status, nr.reason, nr.body]).toEqual([500, "QEMU guest agent is not running", '{"data":null}']);
  sim.mutate((s) => {
    s.guests.find((x) => x.vmid === g.vmid)!.agent = "unsupported";
  });
  const un = await get(`/nodes/pve1/qemu/${g.vmid}/agent/network-get-interfaces`);
  expect(un.status).toBe(200);
  expect(un.json?.data).toEqual({
    result: { error: { class: "Unsupported", desc: "this feature or command is not currently supported" } },
  });
  const unknown = await get("/nodes/pve1/storage");
  expect(unknown.status).toBe(501);
});

test("faults fire the given number of times", async () => {
  sim.mutate((s) => {
    s.faults = [{ path: "/version", status: 503, reason: "busy", times: 1 }];
  });
  expect((await get("/version")).status).toBe(503);
  expect((await get("/version")).status).toBe(200);
});

test("demo scenario is deterministic and unique per guest", () => {
  const a = demoScenario({ guests: 500, nodes: 3, seed: 9, ipv6: true });
  const b = demoScenario({ guests: 500, nodes: 3, seed: 9, ipv6: true });
  expect(a).toEqual(b);
  const macs = new Set(a.guests.map((g) => g.nics[0]!.mac));
  const v4 = new Set(a.guests.map((g) => g.nics[0]!.ipv4![0]));
  expect(macs.size).toBe(500);
  expect(v4.size).toBe(500);
  expect(new Set(a.guests.map((g) => g.node))).toEqual(new Set(["pve1", "pve2", "pve3"]));
});
