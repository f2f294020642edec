/**
 * `dist/pipam run` (the compiled binary) against the Proxmox simulator and a real PowerDNS:
 * first sync, then guests added / changed / renamed / removed, kill -9 in the middle of applying
 * a large change and a restart (converges from the ownership comments alone: no duplicates, no
 * leftovers), PowerDNS killed while running and back, /healthz and /readyz, SIGTERM → exit 0. Records made by hand must survive all of it.
 * Checked with `dig` against the real server and through the API (ownership comments).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ProxmoxSim, type SimGuest, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./support/binary.ts";
import { type ConfigDir, configDir, q } from "./support/config.ts";
import { diffRR, expectedRecords, key, type RRMap, readZones } from "./support/dns-model.ts";
import { type PdnsGate, startPdnsGate } from "./support/pdns-gate.ts";
import { mapLimit, sleep, waitFor } from "./support/poll.ts";
import { type Daemon, spawnPipam } from "./support/process.ts";

const ZONE = "run.pipam.test.";
const REV4 = "10.in-addr.arpa.";
const REV6 = "0.0.d.f.ip6.arpa.";
const ZONES = [ZONE, REV4, REV6];
const OWNER = "pipam-e2e-run";

/** Records made by hand, in every zone pipam manages; never to be touched. */
const FOREIGN: { zone: string; name: string; type: string; records: string[] }[] = [
  { zone: ZONE, name: `printer.${ZONE}`, type: "A", records: ["10.9.9.9"] },
  { zone: ZONE, name: `www.${ZONE}`, type: "CNAME", records: [`g-100.${ZONE}`] },
  { zone: ZONE, name: ZONE, type: "TXT", records: ['"v=spf1 -all"'] },
  { zone: ZONE, name: `nas.${ZONE}`, type: "AAAA", records: ["fd00:9::9"] },
  { zone: REV4, name: "9.9.9.10.in-addr.arpa.", type: "PTR", records: [`printer.${ZONE}`] },
];

function guest(vmid: number, host: number, opts: { v6?: boolean; name?: string } = {}): SimGuest {
  const lxc = vmid % 3 === 0;
  return {
    vmid,
    type: lxc ? "lxc" : "qemu",
    node: vmid % 2 === 0 ? "pve1" : "pve2",
    name: opts.name ?? `g-${vmid}`,
    status: "running",
    uptime: 5000,
    ...(lxc ? {} : { agent: "ok" as const }),
    nics: [
      {
        name: lxc ? "eth0" : "ens18",
        mac: `BC:24:11:00:${(vmid >> 8).toString(16).padStart(2, "0")}:${(vmid & 0xff).toString(16).padStart(2, "0")}`,
        ipv4: [`10.1.${host >> 8}.${host & 0xff}/16`],
        ...((opts.v6 ?? vmid % 2 === 0) ? { ipv6: [`fd00:1::${host.toString(16)}/64`] } : {}),
      },
    ],
  };
}

let pdns: TestPdns;
let sim: ProxmoxSim;
let bin: string;
let cfgDir: ConfigDir;
let cfg: string;
let daemon: Daemon | undefined;
let gate: PdnsGate;
const timings: Record<string, number> = {};

beforeAll(async () => {
  const initial = Array.from({ length: 24 }, (_, i) => guest(100 + i, 10 + i));
  [pdns, sim, bin] = await Promise.all([
    startPdns(),
    startProxmoxSim({
      nodes: [
        { name: "pve1", online: true },
        { name: "pve2", online: true },
      ],
      guests: initial,
    }),
    pipamBinary(),
  ]);
  for (const z of ZONES) await pdns.createZone(z);
  gate = startPdnsGate(pdns.url); // pipam talks to PowerDNS through it (it can hold writes)
  for (const f of FOREIGN)
    await pdns.seed(f.zone, { name: f.name, type: f.type, ttl: 3600, records: f.records });
  cfgDir = configDir("pipam-e2e-run-");
  const [user, tokenName] = sim.tokenId.split("!") as [string, string];
  cfg = cfgDir.config(`collect_interval = "1s"
full_reconcile_interval = "1m"

[proxmox]
url = ${q(sim.url)}
user = ${q(user)}
token_id = ${q(tokenName)}
token_uuid_file = ${q(cfgDir.secret("proxmox-token", sim.secret))}
ca_file = ${q(cfgDir.secret("pve-ca.pem", sim.caPem))}
timeout = "3s"

[dns]
provider = "powerdns"
zones = [${ZONES.map(q).join(", ")}]
ttl = 60
ptr = true
owner_id = ${q(OWNER)}

[dns.powerdns]
url = ${q(gate.url)}
api_key_file = ${q(cfgDir.secret("powerdns-api-key", pdns.apiKey))}
timeout = "3s"

[mapping."run.pipam.test"]
networks = [{ cidr = "10.0.0.0/8" }, { cidr = "fd00::/16" }]

[server]
listen = "127.0.0.1:0"
`);
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  gate?.stop();
  await Promise.allSettled([pdns?.stop(), sim?.stop()]);
  cfgDir?.remove();
  console.log(`binary-run timings (ms): ${JSON.stringify(timings)}`);
});

// As under the .deb's unit: systemd's StateDirectory= sets STATE_DIRECTORY, where a single node
// keeps state.json between restarts.
const start = () =>
  spawnPipam(bin, ["-c", cfg, "--log-format", "json", "run"], {
    env: { STATE_DIRECTORY: join(cfgDir.dir, "state") },
  });
const want = (): RRMap => expectedRecords(sim.scenario.guests, ZONE, true);

/** pipam's rrsets in the three zones equal the model exactly; no duplicates; undefined until then. */
async function converged(): Promise<true | undefined> {
  const v = await readZones(pdns, ZONES, OWNER);
  const d = diffRR(want(), v.owned);
  if (d.length > 0 || v.problems.length > 0) throw new Error([...v.problems, ...d].slice(0, 8).join("; "));
  return true;
}

async function waitConverged(what: string, timeoutMs = 25_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(`${what}: PowerDNS to match the simulator`, converged, { timeoutMs, intervalMs: 200 });
  return Date.now() - t0;
}

/** The full check: API (owned rrsets, TTL, ownership comments, foreign untouched) and dig for every name. */
async function checkAll(): Promise<void> {
  const v = await readZones(pdns, ZONES, OWNER);
  expect(v.problems).toEqual([]);
  expect(diffRR(want(), v.owned)).toEqual([]);
  expect([...new Set(v.ttl.values())]).toEqual([60]);
  // everything that is not pipam's is exactly what was made by hand (no comment-less leftovers)
  const foreign: RRMap = new Map(FOREIGN.map((f) => [key(f.name, f.type), [...f.records].sort()]));
  expect(diffRR(foreign, v.other)).toEqual([]);
  const expected = [...want()].concat(FOREIGN.map((f) => [key(f.name, f.type), [...f.records].sort()]));
  const wrong = await mapLimit(expected, 6, async ([k, records]) => {
    const [name, type] = k.split("|") as [string, string];
    const got = await pdns.dig(name, type);
    return got.join(",") === records.join(",") ? undefined : `dig ${name} ${type}: ${got} (want ${records})`;
  });
  expect(wrong.filter((w) => w !== undefined)).toEqual([]);
}

async function foreignIntact(): Promise<void> {
  for (const f of FOREIGN) expect(await pdns.dig(f.name, f.type)).toEqual([...f.records].sort());
}

describe("pipam run (compiled binary)", () => {
  test("first sync: every guest's A/AAAA/PTR appears; /healthz and /readyz answer 200", async () => {
    const t0 = Date.now();
    daemon = start();
    const url = await daemon.serverUrl();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    timings.firstSync = await waitConverged("first sync");
    await checkAll();
    expect(await pdns.dig(`g-100.${ZONE}`, "A")).toEqual(["10.1.0.10"]);
    expect(await pdns.dig(`g-100.${ZONE}`, "AAAA")).toEqual(["fd00:1::a"]);
    expect(await pdns.dig("10.0.1.10.in-addr.arpa.", "PTR")).toEqual([`g-100.${ZONE}`]);
    // ready once a cycle has finished without errors
    const ready = await waitFor(
      "/readyz 200",
      async () => {
        const r = await fetch(`${url}/readyz`);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(ready.status).toBe(200);
    timings.startToReady = Date.now() - t0;
  }, 60_000);

  test("DNS follows the simulator: guests added, re-addressed, renamed and removed", async () => {
    const t0 = Date.now();
    sim.mutate((s) => {
      s.guests.push(guest(200, 200, { v6: true }), guest(201, 201), guest(202, 202));
      s.guests.find((g) => g.vmid === 101)!.nics[0]!.ipv4 = ["10.1.1.101/16"];
      s.guests.find((g) => g.vmid === 102)!.nics[0]!.ipv6 = ["fd00:1::beef/64"];
      s.guests.find((g) => g.vmid === 105)!.name = "renamed-105";
      s.guests = s.guests.filter((g) => g.vmid !== 103 && g.vmid !== 104);
    });
    sim.reboot(101); // a new address shows after a reboot (the collector re-reads rebooted guests)
    sim.reboot(102);
    timings.followChanges = await waitConverged("changes");
    await checkAll();
    expect(await pdns.dig(`g-201.${ZONE}`, "A")).toEqual(["10.1.0.201"]);
    expect(await pdns.dig(`g-101.${ZONE}`, "A")).toEqual(["10.1.1.101"]);
    expect(await pdns.dig("101.1.1.10.in-addr.arpa.", "PTR")).toEqual([`g-101.${ZONE}`]);
    expect(await pdns.dig("11.0.1.10.in-addr.arpa.", "PTR")).toEqual([]);
    expect(await pdns.dig(`g-102.${ZONE}`, "AAAA")).toEqual(["fd00:1::beef"]);
    expect(await pdns.dig(`renamed-105.${ZONE}`, "A")).toEqual(["10.1.0.15"]);
    expect(await pdns.dig(`g-105.${ZONE}`, "A")).toEqual([]);
    expect(await pdns.dig(`g-103.${ZONE}`, "A")).toEqual([]);
    expect(await pdns.dig(`g-104.${ZONE}`, "AAAA")).toEqual([]);
    timings.changesChecked = Date.now() - t0;
  }, 60_000);

  /**
   * Many changes at once, and pipam killed with SIGKILL in the middle of writing them: the gate
   * forwards the cycle's first `round` zone PATCH(es) and holds the next one; pipam is killed while
   * it waits for it (the held PATCH is never forwarded). A new process knows nothing but the
   * ownership comments in PowerDNS.
   */
  for (const round of [1, 2]) {
    test(`kill -9 between the zone writes of one cycle (after ${round}), restart: converges, no duplicates`, async () => {
      const held = gate.holdAfter(round, 15_000);
      const base = 300 + round * 20;
      sim.mutate((s) => {
        for (const g of s.guests.slice(0, 6)) g.nics[0]!.ipv4 = [`10.2.${round}.${g.vmid - 90}/16`];
        for (const g of s.guests.slice(6, 10)) g.name = `r${round}-${g.vmid}`;
        s.guests.splice(10, 3);
        for (let i = 0; i < 8; i++) s.guests.push(guest(base + i, base + i));
      });
      for (const g of sim.scenario.guests.slice(0, 6)) sim.reboot(g.vmid);
      const { zone } = await held;
      daemon!.signal("SIGKILL");
      const code = await daemon!.waitExit(5_000);
      gate.open();
      expect(code).not.toBeUndefined();
      expect(code).not.toBe(0); // killed, not a clean exit
      // the kill really landed mid-cycle: the held zone still has the old state
      const mid = await readZones(pdns, ZONES, OWNER);
      const pending = diffRR(want(), mid.owned);
      expect(pending.length).toBeGreaterThan(0);
      expect(mid.problems).toEqual([]);
      timings[`kill${round}PendingAtKill`] = pending.length;
      timings[`kill${round}HeldZoneIsReverse`] = zone === ZONE ? 0 : 1;
      await foreignIntact();

      const t0 = Date.now();
      daemon = start();
      await daemon.serverUrl();
      await waitConverged(`restart after kill -9 (round ${round})`);
      timings[`kill${round}RestartToConverged`] = Date.now() - t0;
      await checkAll();
      // a few cycles later nothing changes any more (no flapping between old and new state)
      const settled = await Promise.all(ZONES.map((z) => pdns.serial(z)));
      const patches = gate.patches;
      await sleep(2_500);
      expect(await Promise.all(ZONES.map((z) => pdns.serial(z)))).toEqual(settled);
      expect(gate.patches).toBe(patches);
    }, 60_000);
  }

  test("PowerDNS down while running: cycles fail (/readyz 503, nothing lost), then it converges when back", async () => {
    const url = await daemon!.serverUrl();
    await waitFor(
      "/readyz 200",
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
    await pdns.kill();
    sim.mutate((s) => {
      s.guests.push(guest(400, 400, { v6: true }));
      s.guests.splice(0, 1);
    });
    try {
      const down = await waitFor(
        "/readyz 503 while PowerDNS is down",
        async () => {
          const r = await fetch(`${url}/readyz`);
          return r.status === 503 ? r.text() : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      expect(down.length).toBeGreaterThan(0);
      expect(await daemon!.waitExit(0)).toBeUndefined(); // still running
    } finally {
      await pdns.restart();
    }
    const t0 = Date.now();
    await waitConverged("PowerDNS back");
    timings.pdnsBackToConverged = Date.now() - t0;
    await checkAll();
    expect(await pdns.dig(`g-400.${ZONE}`, "AAAA")).toEqual(["fd00:1::190"]);
    await waitFor(
      "/readyz 200 again",
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
  }, 60_000);

  test("SIGTERM while a PowerDNS write hangs: exit 0 within a few seconds; a restart converges", async () => {
    const held = gate.holdAfter(0, 15_000);
    sim.mutate((s) => {
      s.guests.push(guest(401, 401));
    });
    await held;
    const t0 = Date.now();
    daemon!.signal("SIGTERM");
    const code = await daemon!.waitExit(5_000);
    timings.sigtermWhileWriteHangs = Date.now() - t0;
    gate.open();
    expect(code, daemon!.output().slice(-3000)).toBe(0);
    expect(await pdns.dig(`g-401.${ZONE}`, "A")).toEqual([]); // the held write was never applied
    await foreignIntact();
    daemon = start();
    await waitConverged("restart after SIGTERM");
    await checkAll();
  }, 60_000);

  test("a stopped guest with no static address keeps its records across a restart (state.json)", async () => {
    await waitConverged("before stopping a guest");
    // a QEMU guest with a guest agent: its addresses come only from the agent (DHCP-like)
    const picked = sim.scenario.guests.find(
      (g) => g.type === "qemu" && g.agent === "ok" && g.status === "running",
    )!;
    const name = `${picked.name}.${ZONE}`;
    const ip = picked.nics[0]!.ipv4![0]!.split("/")[0]!;
    sim.mutate((s) => {
      const g = s.guests.find((x) => x.vmid === picked.vmid)!;
      g.status = "stopped";
      g.uptime = 0;
    });
    await sleep(3_000); // a few cycles see it stopped (its agent answers "not running")
    await checkAll();
    expect(await pdns.dig(name, "A")).toEqual([ip]);
    daemon!.signal("SIGTERM");
    expect(await daemon!.waitExit(5_000)).toBe(0);
    daemon = start();
    const url = await daemon.serverUrl();
    // /readyz is 200 once the first (full) cycle after the restart finished without errors
    await waitFor(
      "/readyz 200 after the restart",
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    await checkAll();
    expect(await pdns.dig(name, "A")).toEqual([ip]);
    expect(daemon.logs().some((l) => l.msg === "state loaded")).toBe(true);
  }, 60_000);

  test("SIGTERM stops it cleanly: exit 0 within a few seconds, the port closed", async () => {
    const url = await daemon!.serverUrl();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const t0 = Date.now();
    daemon!.signal("SIGTERM");
    const code = await daemon!.waitExit(5_000);
    timings.sigtermExit = Date.now() - t0;
    expect(code).toBe(0);
    expect(daemon!.output()).toContain('"msg":"pipam stopped"');
    let refused = false;
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    } catch {
      refused = true;
    }
    expect(refused).toBe(true);
    await checkAll(); // stopping removes nothing
  }, 30_000);
});
