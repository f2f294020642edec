/**
 * `pipam output` and `pipam health` end to end: `bun src/main.ts` against the Proxmox simulator
 * over real HTTPS (certificate pinned by fingerprint, token secret from a file).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ProxmoxSim, type Scenario, startProxmoxSim } from "../sim/index.ts";
import type { OutputDocument } from "./output-format.ts";
import { outputValidator } from "./test-output-validator.ts";

const main = resolve(import.meta.dir, "../main.ts");
const dir = mkdtempSync(join(tmpdir(), "pipam-output-"));
let sim: ProxmoxSim;

const scenario = (): Scenario => ({
  nodes: [{ name: "pve1" }, { name: "pve2" }],
  guests: [
    {
      vmid: 101,
      type: "qemu",
      node: "pve1",
      name: "web",
      status: "running",
      uptime: 100,
      agent: "ok",
      tags: "prod;web",
      nics: [
        { name: "ens18", mac: "BC:24:11:00:01:01", ipv4: ["10.0.0.101/24"], ipv6: ["2001:db8::101/64"] },
      ],
    },
    {
      vmid: 102,
      type: "lxc",
      node: "pve2",
      name: "db",
      status: "running",
      uptime: 100,
      nics: [{ name: "eth0", mac: "BC:24:11:00:01:02", ipv4: ["10.0.0.102/24"] }],
    },
    {
      vmid: 103,
      type: "qemu",
      node: "pve2",
      name: "cloud",
      status: "running",
      uptime: 100,
      agent: "off",
      staticConfig: true,
      nics: [{ name: "net0", mac: "BC:24:11:00:01:03", ipv4: ["10.0.0.103/24"] }],
    },
    { vmid: 104, type: "qemu", node: "pve1", name: "off", status: "stopped", agent: "ok", nics: [] },
    {
      vmid: 105,
      type: "qemu",
      node: "pve1",
      name: "broken",
      status: "running",
      uptime: 100,
      agent: "ok",
      nics: [{ name: "ens18", mac: "BC:24:11:00:01:05", ipv4: ["10.0.0.105/24"] }],
    },
  ],
  faults: [{ path: /\/qemu\/105\//, status: 500, reason: "simulated failure for 105" }],
});

function writeConfig(name: string, over: { secret?: string; extra?: string } = {}): string {
  const [user, token] = sim.tokenId.split("!");
  writeFileSync(join(dir, `${name}.secret`), `${over.secret ?? sim.secret}\n`, { mode: 0o600 });
  chmodSync(join(dir, `${name}.secret`), 0o600);
  const path = join(dir, `${name}.toml`);
  writeFileSync(
    path,
    `[proxmox]
url = "${sim.url}"
user = "${user}"
token_id = "${token}"
token_uuid_file = "${name}.secret"
fingerprint = "${sim.fingerprint}"
timeout = "3s"
${over.extra ?? ""}`,
  );
  return path;
}

async function pipam(args: string[]) {
  const p = Bun.spawn([process.execPath, main, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

beforeAll(async () => {
  sim = await startProxmoxSim(scenario());
});
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pipam output against the simulator", () => {
  test("--json: the pipam.output/v1 document with IPs, their sources and per-guest errors", async () => {
    const cfg = writeConfig("good");
    const r = await pipam(["-c", cfg, "output", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as OutputDocument;
    const validate = await outputValidator();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc.schema).toBe("pipam.output/v1");
    expect(doc.complete).toBe(true);
    expect(doc.clusters).toEqual(["default"]);
    expect(doc.guests.map((g) => g.vmid)).toEqual([101, 102, 103, 104, 105]);
    const g = (id: number) => doc.guests.find((x) => x.vmid === id);
    const ips = (id: number) =>
      g(id)
        ?.addresses.filter((a) => a.scope === "global")
        .map((a) => `${a.ip}/${a.prefix}:${a.source}`);
    expect(g(101)).toMatchObject({
      cluster: "default",
      node: "pve1",
      type: "qemu",
      name: "web",
      status: "running",
    });
    expect(g(101)?.tags).toEqual(["prod", "web"]);
    // loopback and link-local are kept, marked by scope (derive drops them, not the collector)
    const scoped = g(101)?.addresses.map((a) => `${a.ip}:${a.scope}`);
    expect(scoped).toContain("127.0.0.1:host");
    expect(scoped).toContain("::1:host");
    expect(scoped?.filter((s) => s.endsWith(":link"))).toHaveLength(1);
    expect(ips(101)).toEqual(["10.0.0.101/24:agent", "2001:db8::101/64:agent"]);
    expect(g(101)?.nics.find((n) => n.name === "ens18")?.mac).toBe("bc:24:11:00:01:01");
    expect(ips(102)).toEqual(["10.0.0.102/24:lxc-interfaces"]);
    expect(ips(103)).toEqual(["10.0.0.103/24:cloud-init"]);
    expect(g(104)).toMatchObject({ status: "stopped", addresses: [], error: null });
    expect(g(105)?.error).toContain("simulated failure for 105");
    expect(g(101)?.error).toBeNull();
    expect(Number.isNaN(Date.parse(doc.collectedAt))).toBe(false);
  });

  test("table: one row per guest with IPs, source and error", async () => {
    const r = await pipam(["-c", writeConfig("good"), "output"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^CLUSTER\s+NODE\s+VMID\s+TYPE\s+NAME\s+STATUS\s+IPS\s+FROM\s+ERROR$/);
    expect(r.stdout).toMatch(
      /^default\s+pve1\s+101\s+qemu\s+web\s+running\s+10\.0\.0\.101\/24,2001:db8::101\/64\s+agent$/m,
    );
    expect(r.stdout).toMatch(
      /^default\s+pve2\s+103\s+qemu\s+cloud\s+running\s+10\.0\.0\.103\/24\s+cloud-init$/m,
    );
    expect(r.stdout).toMatch(
      /^default\s+pve1\s+105\s+qemu\s+broken\s+running\s+.*HTTP 500 simulated failure/m,
    );
    expect(r.stdout).toContain("5 guests, 3 with addresses, 1 with errors");
    expect(r.stdout).not.toContain("127.0.0.1");
    const all = await pipam(["-c", writeConfig("good"), "output", "--all"]);
    expect(all.stdout).toMatch(/^default\s+pve1\s+101\s.*127\.0\.0\.1\/8,.*fe80::/m);
  });

  test("a wrong token: exit 1, the list error in the document and the table", async () => {
    const bad = "00000000-0000-0000-0000-000000000000";
    const cfg = writeConfig("wrong", { secret: bad });
    const r = await pipam(["-c", cfg, "output", "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as OutputDocument;
    expect(doc.complete).toBe(false);
    expect(doc.guests).toEqual([]);
    expect(doc.errors[0]).toMatchObject({ cluster: "default", vmid: null });
    expect(doc.errors[0]?.message).toMatch(/authentication failed/);
    const t = await pipam(["-c", cfg, "output"]);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^error: default: .*authentication failed/m);
    expect(t.stdout).toContain("incomplete");
    for (const out of [r.stdout, r.stderr, t.stdout, t.stderr]) expect(out).not.toContain(bad);
  });

  test("a pinned fingerprint that does not match: exit 1", async () => {
    const other = "00".repeat(32).match(/../g)?.join(":");
    const cfg = writeConfig("pin", {});
    writeFileSync(cfg, (await Bun.file(cfg).text()).replace(sim.fingerprint, other ?? ""));
    const r = await pipam(["-c", cfg, "output"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fingerprint|certificate/i);
  });
});

describe("pipam health against the simulator", () => {
  test("all checks pass: ✓ lines, exit 0", async () => {
    const r = await pipam(["-c", writeConfig("good"), "health"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith(`✓ config: ${join(dir, "good.toml")} is valid\n`);
    expect(r.stdout).toMatch(/^✓ proxmox\[default\]/m);
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toMatch(/all \d+ checks passed/);
  });

  test("a wrong token: ✗ with a hint, exit 1", async () => {
    const r = await pipam([
      "-c",
      writeConfig("wrong", { secret: "11111111-0000-0000-0000-000000000000" }),
      "health",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ proxmox\[default\]/m);
    expect(r.stdout).toMatch(/^ {4}hint: /m);
    expect(r.stdout).toMatch(/\d+ of \d+ checks failed/);
  });

  test("PowerDNS checks plug in: an unreachable PowerDNS fails with a hint, Proxmox still passes", async () => {
    const cfg = writeConfig("pdns", {
      extra: `[dns]\nzones = ["example.com."]\nowner_id = "t"\n[dns.powerdns]\nurl = "http://127.0.0.1:9"\napi_key = "k-123"\ntimeout = "2s"\n`,
    });
    const r = await pipam(["-c", cfg, "health"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✓ proxmox\[default\]/m);
    expect(r.stdout).toMatch(/^✗ powerdns/m);
    expect(r.stdout).toMatch(/hint: .*pdns/);
  });

  test("--json lists the checks", async () => {
    const r = await pipam(["-c", writeConfig("good"), "health", "--json"]);
    const j = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean }[] };
    expect(j.checks.length).toBeGreaterThan(1);
    expect(j.checks.every((c) => c.ok)).toBe(true);
  });
});

describe("interrupt", () => {
  test("SIGINT during collection: exit 1 at once with a plain message", async () => {
    sim.mutate((s) => {
      s.latency = { list: 10_000 };
    });
    try {
      const p = Bun.spawn([process.execPath, main, "-c", writeConfig("good"), "output"], {
        env: { PATH: process.env.PATH ?? "", HOME: dir },
        stdout: "pipe",
        stderr: "pipe",
      });
      await Bun.sleep(800);
      const t0 = performance.now();
      p.kill("SIGINT");
      const code = await p.exited;
      expect(code).toBe(1);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(await new Response(p.stderr).text()).toContain("interrupted (SIGINT)");
    } finally {
      sim.mutate((s) => {
        s.latency = {};
      });
    }
  });
});
