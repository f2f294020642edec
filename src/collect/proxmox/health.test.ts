import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HealthCheck } from "../../lib/health.ts";
import { demoScenario, type ProxmoxSim, startProxmoxSim } from "../../sim/index.ts";
import type { ProxmoxEndpoint } from "./client.ts";
import { checkProxmox } from "./health.ts";

let sim: ProxmoxSim;
const signal = new AbortController().signal;
const ep = (over: Partial<ProxmoxEndpoint> = {}): ProxmoxEndpoint => ({
  name: "h",
  url: sim.url,
  tokenId: sim.tokenId,
  secret: sim.secret,
  insecure: false,
  fingerprint: sim.fingerprint,
  timeoutMs: 3000,
  concurrencyPerNode: 2,
  ...over,
});
const line = (cs: HealthCheck[], what: string) => cs.find((c) => c.name === `proxmox[h] ${what}`);

beforeAll(async () => {
  sim = await startProxmoxSim(demoScenario({ guests: 6, nodes: 2, allHealthy: true }));
});
afterAll(async () => {
  await sim.stop();
});

test("all good", async () => {
  const cs = await checkProxmox(ep(), signal);
  expect(cs.map((c) => [c.name.replace("proxmox[h] ", ""), c.ok])).toEqual([
    ["reachable", true],
    ["TLS", true],
    ["auth", true],
    ["version", true],
    ["guests", true],
    ["guest agent permission", true],
  ]);
  expect(line(cs, "guests")?.detail).toBe("6 guests visible");
  expect(line(cs, "guest agent permission")?.detail).toMatch(/read guest agent data of VM \d+/);
});

test("bad secret → auth ✗ with hint", async () => {
  const cs = await checkProxmox(ep({ secret: "nope" }), signal);
  expect(line(cs, "auth")).toMatchObject({ ok: false });
  expect(line(cs, "auth")?.hint).toContain("user@realm!tokenid");
});

test("wrong pin and untrusted certificate → TLS ✗ naming the server's fingerprint", async () => {
  let cs = await checkProxmox(ep({ fingerprint: "00".repeat(32) }), signal);
  expect(line(cs, "TLS")?.ok).toBe(false);
  expect(line(cs, "TLS")?.hint).toContain(sim.fingerprint);
  cs = await checkProxmox(ep({ fingerprint: undefined }), signal);
  expect(line(cs, "TLS")?.ok).toBe(false);
  expect(line(cs, "TLS")?.hint).toContain("pve-root-ca.pem");
});

test("unreachable", async () => {
  const cs = await checkProxmox(ep({ url: "https://127.0.0.1:1" }), signal);
  expect(cs).toHaveLength(1);
  expect(line(cs, "reachable")?.ok).toBe(false);
});

test("guest agent permission: PVE 8 asks for VM.Monitor, PVE 9 for VM.GuestAgent.Audit", async () => {
  sim.mutate((s) => {
    s.agentPermission = false;
  });
  let cs = await checkProxmox(ep(), signal);
  expect(line(cs, "guest agent permission")?.ok).toBe(false);
  expect(line(cs, "guest agent permission")?.hint).toContain('-privs "VM.Audit VM.Monitor Sys.Audit"');
  sim.mutate((s) => {
    s.version = { version: "9.0.4", release: "9.0" };
  });
  cs = await checkProxmox(ep(), signal);
  expect(line(cs, "guest agent permission")?.detail).toContain(
    "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted",
  );
  expect(line(cs, "guest agent permission")?.hint).toContain("VM.Monitor no longer exists on PVE 9");
});
