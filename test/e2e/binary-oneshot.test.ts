/**
 * The one-shot commands of the compiled binary with a config written like the original pipam's
 * documented example (`[proxmox] url user realm token_id token_uuid_file insecure`, `[dns]
 * provider zones`, `[dns.powerdns] url api_key_file`, `[mapping."example.com"] networks`):
 * `reconcile --dry-run --json`, `reconcile`, `clean --dry-run`, `clean` without --yes and without a
 * TTY, `clean --collect --yes`, `clean --yes`, `health` (PowerDNS up, then killed). Against the
 * Proxmox simulator and a real PowerDNS, checked with `dig`; records made by hand always survive.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { type ProxmoxSim, type SimGuest, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./support/binary.ts";
import { type ConfigDir, configDir, q } from "./support/config.ts";
import { diffRR, key, type RRMap, readZones } from "./support/dns-model.ts";
import { type RunResult, runPipam } from "./support/process.ts";

const ZONE = "example.com.";

const FOREIGN: { name: string; type: string; records: string[] }[] = [
  { name: "printer.example.com.", type: "A", records: ["10.0.0.99"] },
  { name: "www.example.com.", type: "CNAME", records: ["web.example.com."] },
  { name: "example.com.", type: "MX", records: ["10 mail.example.com."] },
  { name: "example.com.", type: "TXT", records: ['"v=spf1 mx -all"'] },
];

function vm(vmid: number, name: string, ips: string[], extra: Partial<SimGuest> = {}): SimGuest {
  const lxc = extra.type === "lxc";
  return {
    vmid,
    type: "qemu",
    node: "pve",
    name,
    status: "running",
    uptime: 1000,
    ...(lxc ? {} : { agent: "ok" as const }),
    nics: [
      {
        name: lxc ? "eth0" : "ens18",
        mac: `BC:24:11:00:02:${vmid.toString(16).padStart(2, "0").slice(-2)}`,
        ipv4: ips.filter((i) => !i.includes(":")),
        ipv6: ips.filter((i) => i.includes(":")),
      },
    ],
    ...extra,
  };
}

const GUESTS: SimGuest[] = [
  // fd00::10 is in no mapping (no AAAA); 172.17.0.5 is in skip_cidrs
  vm(100, "web", ["10.0.0.10/24", "172.17.0.5/16", "fd00::10/64"]),
  vm(101, "db", ["10.0.1.20/24"], { type: "lxc" }),
  vm(102, "mail", ["10.0.0.30/24", "192.168.1.30/24"]), // 192.168.1.30: no mapping
  vm(103, "app", ["10.0.2.40/24"]),
  vm(104, "secret", ["10.0.0.50/24"], { tags: "pipam-ignore" }),
  vm(105, "tmpl", ["10.0.0.60/24"], { template: true, status: "stopped", uptime: 0 }),
];

/** What the example config must produce: A records only (no ptr, no IPv6 mapping). */
const EXPECTED: RRMap = new Map([
  [key("web.example.com.", "A"), ["10.0.0.10"]],
  [key("db.example.com.", "A"), ["10.0.1.20"]],
  [key("mail.example.com.", "A"), ["10.0.0.30"]],
  [key("app.example.com.", "A"), ["10.0.2.40"]],
]);

let pdns: TestPdns;
let sim: ProxmoxSim;
let bin: string;
let dir: ConfigDir;
let cfg: string;
/** The owner id the docs promise when none is configured. */
let owner: string;
const timings: Record<string, number> = {};

beforeAll(async () => {
  [pdns, sim, bin] = await Promise.all([
    startPdns(),
    startProxmoxSim({ nodes: [{ name: "pve", online: true }], guests: structuredClone(GUESTS) }),
    pipamBinary(),
  ]);
  await pdns.createZone(ZONE);
  for (const f of FOREIGN) await pdns.seed(ZONE, { ...f, ttl: 3600 });
  dir = configDir("pipam-e2e-oneshot-");
  // sim.tokenId is pipam@pve!sim: user "pipam", realm "pve", token "sim"
  const [userRealm, tokenName] = sim.tokenId.split("!") as [string, string];
  const [user, realm] = userRealm.split("@") as [string, string];
  cfg = dir.config(`collect_interval = 30
full_reconcile_interval = 0
skip_cidrs = ["172.17.0.0/16"]

[proxmox]
url = ${q(sim.url)}
user = ${q(user)}
realm = ${q(realm)}
token_id = ${q(tokenName)}
token_uuid_file = ${q(dir.secret("proxmox-token", sim.secret))}
insecure = true

[dns]
provider = "powerdns"
zones = ["example.com."]

[dns.powerdns]
url = ${q(pdns.url)}
api_key_file = ${q(dir.secret("powerdns-api-key", pdns.apiKey))}

[raft]
node_id = 0

[mapping."example.com"]
networks = [{ cidr = "10.0.0.0/16" }]
`);
  const host = new URL(sim.url).host;
  owner = `pipam-${createHash("sha256").update(`default=${host}`).digest("hex").slice(0, 12)}`;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([pdns?.stop(), sim?.stop()]);
  dir?.remove();
  console.log(`binary-oneshot timings (ms): ${JSON.stringify(timings)}`);
});

async function pipam(name: string, ...args: string[]): Promise<RunResult> {
  const r = await runPipam(bin, ["-c", cfg, ...args], { timeoutMs: 30_000 });
  timings[name] = r.ms;
  return r;
}

const show = (r: RunResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function owned(): Promise<RRMap> {
  const v = await readZones(pdns, [ZONE], owner);
  expect(v.problems).toEqual([]);
  return v.owned;
}

async function digAll(m: RRMap): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const k of m.keys()) {
    const [name, type] = k.split("|") as [string, string];
    out[k] = await pdns.dig(name, type);
  }
  return out;
}

const asDig = (m: RRMap, only?: (k: string) => boolean) =>
  Object.fromEntries([...EXPECTED.keys()].map((k) => [k, !only || only(k) ? (m.get(k) ?? []) : []]));

async function foreignIntact(): Promise<void> {
  for (const f of FOREIGN) expect(await pdns.dig(f.name, f.type)).toEqual([...f.records].sort());
  const v = await readZones(pdns, [ZONE], owner);
  expect(diffRR(new Map(FOREIGN.map((f) => [key(f.name, f.type), [...f.records].sort()])), v.other)).toEqual(
    [],
  );
}

describe("one-shot commands with the original pipam's example config (compiled binary)", () => {
  test("reconcile --dry-run --json prints the plan and writes nothing", async () => {
    const serial = await pdns.serial(ZONE);
    const r = await pipam("dryRunJson", "reconcile", "--dry-run", "--json");
    expect(r.code, show(r)).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      dryRun: boolean;
      summary: { create: number; update: number; delete: number };
      create: { name: string; type: string; records: string[]; zone: string }[];
    };
    expect(plan.dryRun).toBe(true);
    expect(plan.summary).toMatchObject({ create: 4, update: 0, delete: 0 });
    const planned: RRMap = new Map(plan.create.map((c) => [key(c.name, c.type), [...c.records].sort()]));
    expect(diffRR(EXPECTED, planned)).toEqual([]);
    expect(new Set(plan.create.map((c) => c.zone))).toEqual(new Set([ZONE]));
    expect(await pdns.serial(ZONE)).toBe(serial);
    expect(await pdns.dig("web.example.com.", "A")).toEqual([]);
    expect(await owned()).toEqual(new Map());
    await foreignIntact();
  }, 40_000);

  test("reconcile applies: the expected records answer on dig, owned under the derived owner id", async () => {
    const r = await pipam("reconcile", "reconcile");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("DNS plan: 4 to create");
    expect(r.stdout).toContain("applied");
    expect(await digAll(EXPECTED)).toEqual(asDig(EXPECTED));
    expect(diffRR(EXPECTED, await owned())).toEqual([]);
    // nothing for the skipped, unmapped, ignored or template addresses
    expect(await pdns.dig("web.example.com.", "AAAA")).toEqual([]);
    expect(await pdns.dig("secret.example.com.", "A")).toEqual([]);
    expect(await pdns.dig("tmpl.example.com.", "A")).toEqual([]);
    await foreignIntact();
    // a second run has nothing to do and does not touch the zone (serial unchanged)
    const serial = await pdns.serial(ZONE);
    const again = await pipam("reconcileAgain", "reconcile");
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain("DNS plan: no changes");
    expect(await pdns.serial(ZONE)).toBe(serial);
  }, 40_000);

  test("clean --dry-run lists every owned rrset and removes nothing", async () => {
    const serial = await pdns.serial(ZONE);
    const r = await pipam("cleanDryRun", "clean", "--dry-run");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("4 to delete");
    for (const k of EXPECTED.keys()) expect(r.stdout).toContain(`- ${k.replace("|", " ")}`);
    expect(r.stdout).not.toContain("printer");
    const j = await pipam("cleanDryRunJson", "clean", "--dry-run", "--json");
    expect(j.code, show(j)).toBe(0);
    const plan = JSON.parse(j.stdout) as { delete: { name: string; type: string }[] };
    expect(plan.delete.map((d) => key(d.name, d.type)).sort()).toEqual([...EXPECTED.keys()].sort());
    expect(await pdns.serial(ZONE)).toBe(serial);
    expect(await digAll(EXPECTED)).toEqual(asDig(EXPECTED));
  }, 40_000);

  test("clean without --yes and without a TTY refuses and removes nothing", async () => {
    const serial = await pdns.serial(ZONE);
    const r = await pipam("cleanNoYes", "clean");
    expect(r.code, show(r)).not.toBe(0);
    expect(r.stderr).toContain("--yes");
    expect(await pdns.serial(ZONE)).toBe(serial);
    expect(await digAll(EXPECTED)).toEqual(asDig(EXPECTED));
  }, 40_000);

  test("clean --collect --yes removes only the records of the guests Proxmox lists now", async () => {
    sim.mutate((s) => {
      s.guests = s.guests.filter((g) => g.vmid !== 103); // app is gone from Proxmox
    });
    const r = await pipam("cleanCollect", "clean", "--collect", "--yes");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("removed 3 rrset(s)");
    const appOnly = (k: string) => k.startsWith("app.");
    expect(await digAll(EXPECTED)).toEqual(asDig(EXPECTED, appOnly));
    expect(diffRR(new Map([...EXPECTED].filter(([k]) => appOnly(k))), await owned())).toEqual([]);
    await foreignIntact();
  }, 40_000);

  test("clean --yes removes everything owned and nothing else", async () => {
    const r = await pipam("cleanAll", "clean", "--yes");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("removed 1 rrset(s)");
    expect(await digAll(EXPECTED)).toEqual(asDig(EXPECTED, () => false));
    expect(await owned()).toEqual(new Map());
    await foreignIntact();
    // nothing left: a second clean is a no-op that succeeds without touching the zone
    const serial = await pdns.serial(ZONE);
    const again = await pipam("cleanAgain", "clean", "--yes");
    expect(again.code, show(again)).toBe(0);
    expect(await pdns.serial(ZONE)).toBe(serial);
  }, 40_000);

  test("health: ✓ with everything up; exit 1 with a ✗ line when PowerDNS is down", async () => {
    const ok = await pipam("healthOk", "health");
    expect(ok.code, show(ok)).toBe(0);
    const lines = ok.stdout.split("\n").filter((l) => /^[✓✗]/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.startsWith("✓"))).toBe(true);
    expect(ok.stdout).toMatch(/^✓ config/m);
    expect(ok.stdout.toLowerCase()).toContain("proxmox");
    expect(ok.stdout.toLowerCase()).toContain("powerdns");
    await pdns.kill();
    try {
      const down = await pipam("healthPdnsDown", "health");
      expect(down.code, show(down)).toBe(1);
      const bad = down.stdout.split("\n").filter((l) => l.startsWith("✗"));
      expect(bad.length).toBeGreaterThan(0);
      expect(
        bad.some((l) => /powerdns/i.test(l)),
        down.stdout,
      ).toBe(true);
      // Proxmox is still fine
      expect(down.stdout.split("\n").some((l) => l.startsWith("✓") && /proxmox/i.test(l))).toBe(true);
    } finally {
      await pdns.restart();
    }
    await foreignIntact();
  }, 40_000);
});
