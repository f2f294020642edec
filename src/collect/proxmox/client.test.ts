import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PipamError } from "../../lib/errors.ts";
import { demoScenario, type ProxmoxSim, startProxmoxSim } from "../../sim/index.ts";
import { createProxmoxClient, type ProxmoxEndpoint } from "./client.ts";

let sim: ProxmoxSim;
let dir: string;
const signal = new AbortController().signal;

function ep(over: Partial<ProxmoxEndpoint> = {}): ProxmoxEndpoint {
  return {
    name: "t",
    url: sim.url,
    tokenId: sim.tokenId,
    secret: sim.secret,
    insecure: false,
    fingerprint: sim.fingerprint,
    timeoutMs: 2000,
    concurrencyPerNode: 2,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<PipamError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PipamError) return err;
    throw err;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  sim = await startProxmoxSim(demoScenario({ guests: 4, nodes: 2, allHealthy: true }));
  dir = mkdtempSync(join(tmpdir(), "pipam-client-test-"));
  writeFileSync(join(dir, "ca.pem"), sim.caPem);
});
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("TLS", () => {
  test("verification is on by default: the self-signed cluster CA is rejected", async () => {
    const e = await failure(createProxmoxClient(ep({ fingerprint: undefined })).get("/version", signal));
    expect(e.message).toContain("TLS certificate not trusted");
    expect(e.message).toContain("ca_file");
  });
  test("ca_file trusts the cluster CA", async () => {
    const c = createProxmoxClient(ep({ fingerprint: undefined, caFile: join(dir, "ca.pem") }));
    expect(await c.get("/version", signal)).toMatchObject({ version: "8.2.4" });
  });
  test("a missing ca_file is a config error naming the file", async () => {
    const e = await failure(
      createProxmoxClient(ep({ caFile: join(dir, "nope.pem") })).get("/version", signal),
    );
    expect(e.code).toBe("config");
    expect(e.message).toContain("nope.pem");
  });
  test("insecure skips verification", async () => {
    const c = createProxmoxClient(ep({ fingerprint: undefined, insecure: true }));
    expect(await c.get("/version", signal)).toMatchObject({ release: "8.2" });
  });
  test("the right pin (lowercase, no colons) works; a wrong pin is refused before any request", async () => {
    const right = createProxmoxClient(ep({ fingerprint: sim.fingerprint.replace(/:/g, "").toLowerCase() }));
    expect(await right.get("/version", signal)).toMatchObject({ version: "8.2.4" });
    const before = sim.calls.total;
    const wrongFp = `${"AA:".repeat(31)}AA`;
    const e = await failure(
      createProxmoxClient(ep({ fingerprint: wrongFp, insecure: true })).get("/version", signal),
    );
    expect(e.message).toContain("does not match the pinned fingerprint");
    expect(e.message).toContain(sim.fingerprint);
    expect(sim.calls.total).toBe(before);
  });
  test("pin + ca_file: checked on the connection itself", async () => {
    const wrongFp = "AB".repeat(32);
    const e = await failure(
      createProxmoxClient(ep({ fingerprint: wrongFp, caFile: join(dir, "ca.pem") })).get("/version", signal),
    );
    expect(e.message).toContain("does not match the pinned fingerprint");
    const ok = createProxmoxClient(ep({ caFile: join(dir, "ca.pem") }));
    expect(await ok.get("/version", signal)).toMatchObject({ version: "8.2.4" });
  });
  test("a malformed fingerprint is a config error", () => {
    expect(() => createProxmoxClient(ep({ fingerprint: "12:34" }))).toThrow("not a SHA-256 fingerprint");
  });
});

describe("errors", () => {
  const fault = (path: string, f: Record<string, unknown>) =>
    sim.mutate((s) => {
      s.faults = [{ path, ...f }];
    });

  test("401 with empty body: auth error with a hint", async () => {
    const e = await failure(createProxmoxClient(ep({ secret: "wrong" })).get("/version", signal));
    expect(e.code).toBe("auth");
    expect(e.message).toBe(
      "proxmox[t] GET /version: authentication failed (HTTP 401 Authentication failed!): check token id and secret",
    );
  });
  test("403 on the agent names the PVE 8/9 permissions", async () => {
    fault("/nodes/pve1/qemu/100/agent/network-get-interfaces", {
      status: 403,
      reason: "Permission check failed (/vms/100, VM.Monitor)",
      body: '{"data":null}',
    });
    const e = await failure(
      createProxmoxClient(ep()).get("/nodes/pve1/qemu/100/agent/network-get-interfaces", signal),
    );
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("Permission check failed (/vms/100, VM.Monitor)");
    expect(e.message).toContain("VM.GuestAgent.Audit");
  });
  test("500 with message in the body, and without (reason phrase only)", async () => {
    fault("/x", {
      status: 500,
      reason: "QEMU guest agent is not running",
      body: '{"data":null,"message":"QEMU guest agent is not running\\n"}',
    });
    let e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.message).toBe("proxmox[t] GET /x: HTTP 500 QEMU guest agent is not running");
    expect(e.transient).toBe(true);
    fault("/x", { status: 500, reason: "VM 100 is not running", body: '{"data":null}' });
    e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.message).toBe("proxmox[t] GET /x: HTTP 500 VM 100 is not running");
  });
  test("595 with empty body: node unreachable, transient", async () => {
    fault("/x", {
      status: 595,
      reason: "Errors during connection establishment, proxy handshake: No route to host",
    });
    const e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.code).toBe("unavailable");
    expect(e.transient).toBe(true);
    expect(e.message).toContain(
      "HTTP 595 Errors during connection establishment, proxy handshake: No route to host",
    );
    fault("/x", {
      status: 596,
      reason: "Errors during TLS negotiation, request sent: certificate verify failed",
    });
    const e596 = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e596.transient).toBe(true);
    expect(e596.message).toContain("HTTP 596 Errors during TLS negotiation");
  });
  test("HTML page and non-JSON body on 200", async () => {
    fault("/x", {
      status: 200,
      body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
      contentType: "text/html",
    });
    let e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("response is an HTML/XML page (content-type text/html)");
    fault("/x", { status: 200, body: '{"data": [1, 2' });
    e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.message).toContain("response is not JSON");
    fault("/x", { status: 200, body: '{"result": 1}' });
    e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.message).toContain('has no "data" key');
  });
  test("invalid UTF-8", async () => {
    const body = new Uint8Array([
      ...new TextEncoder().encode('{"data":"a'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ]);
    fault("/x", { status: 200, body });
    const e = await failure(createProxmoxClient(ep()).get("/x", signal));
    expect(e.message).toBe("proxmox[t] GET /x: response body is not valid UTF-8");
  });
  test("timeout is transient and names the limit", async () => {
    fault("/x", { delayMs: 400 });
    const e = await failure(createProxmoxClient(ep({ timeoutMs: 100 })).get("/x", signal));
    expect(e.code).toBe("timeout");
    expect(e.transient).toBe(true);
    expect(e.message).toContain("within 100 ms");
  });
  test("a 50 MB streamed body is cut off at the cap", async () => {
    fault("/x", { hugeBytes: 50 * 1024 * 1024 });
    const e = await failure(createProxmoxClient(ep()).get("/x", signal, { maxBytes: 4 * 1024 * 1024 }));
    expect(e.message).toBe("proxmox[t] GET /x: response body exceeds 4 MiB");
  });
  test("connection refused is transient", async () => {
    const e = await failure(
      createProxmoxClient(ep({ url: "https://127.0.0.1:1", fingerprint: undefined })).get("/version", signal),
    );
    expect(e.code).toBe("unavailable");
    expect(e.transient).toBe(true);
  });
  test("the caller's abort is passed through, not turned into a timeout", async () => {
    fault("/x", { delayMs: 300 });
    const ac = new AbortController();
    const p = createProxmoxClient(ep()).get("/x", ac.signal);
    setTimeout(() => ac.abort(new Error("stop")), 30);
    await expect(p).rejects.toThrow("stop");
  });
});

describe("concurrency", () => {
  test("bounded per node", async () => {
    sim.mutate((s) => {
      s.faults = [];
      s.latency = { config: 40 };
    });
    const c = createProxmoxClient(ep({ concurrencyPerNode: 2 }));
    for (let i = 0; i < 100 && sim.inFlight > 0; i++) await Bun.sleep(10); // earlier tests' slow faults
    sim.resetCalls();
    await Promise.all(
      Array.from({ length: 8 }, () => c.get("/nodes/pve1/qemu/100/config", signal, { node: "pve1" })),
    );
    expect(sim.calls.maxInFlight).toBe(2);
    sim.resetCalls();
    const both = ["pve1", "pve2"].flatMap((n) =>
      Array.from({ length: 6 }, () =>
        c.get(`/nodes/${n}/qemu/${n === "pve1" ? 100 : 101}/config`, signal, { node: n }),
      ),
    );
    await Promise.all(both);
    expect(sim.calls.maxInFlight).toBe(4);
    sim.mutate((s) => {
      s.latency = {};
    });
  });
});

test("a token id that is not user@realm!name is a config error", () => {
  for (const bad of ["root@pam", "root!tok", "root@pam!", "a b@pve!x"]) {
    expect(() => createProxmoxClient(ep({ tokenId: bad }))).toThrow(
      "is not of the form user@realm!tokenname",
    );
  }
  expect(() => createProxmoxClient(ep({ tokenId: "monitor@pve!inventory" }))).not.toThrow();
});
