/**
 * What the pipam-side benchmarks (change-latency, footprint, cluster) run against: the Proxmox
 * simulator in this process (src/sim, so guests can be added while pipam runs), a real PowerDNS
 * on loopback (src/testing/pdns.ts) with a forward and a reverse zone, secrets in a temp dir, and
 * config files for the compiled binary (`dist/pipam run -c <file>`), laid out as scripts/demo.sh.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoScenario, type ProxmoxSim, type SimGuest, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { BINARY, type Child, spawnGroup, until } from "./run-support.ts";

export const ZONE = "bench.pipam.test.";
export const REV4 = "10.in-addr.arpa.";

export interface PipamEnv {
  sim: ProxmoxSim;
  pdns: TestPdns;
  dir: string;
  /** Writes a config file; returns its path. `extra` is appended verbatim (e.g. a [raft] table). */
  config(name: string, o: { interval: string; listen: string; extra?: string }): string;
  /** Adds a running QEMU guest with a working agent and one IPv4 address. */
  addGuest(vmid: number, name: string, ip: string): void;
  stop(): Promise<void>;
}

/**
 * `pdnsCaches: false` turns PowerDNS's packet/query/negative caches off, so `dig` sees what the
 * API wrote the moment it is written (the measurement is pipam's latency, not the cache TTL).
 */
export async function startPipamEnv(o: {
  guests: number;
  latencyMs?: number;
  pdnsCaches?: boolean;
}): Promise<PipamEnv> {
  const dir = mkdtempSync(join(tmpdir(), "pipam-bench-"));
  const scenario = demoScenario({ guests: o.guests, allHealthy: true, seed: 7 });
  const l = o.latencyMs ?? 0;
  scenario.latency = { list: l, config: l, agent: l, interfaces: l };
  const sim = await startProxmoxSim(scenario);
  let pdns: TestPdns | undefined;
  try {
    pdns = await startPdns(
      o.pdnsCaches === false ? { extraConf: "cache-ttl=0\nnegquery-cache-ttl=0\nquery-cache-ttl=0" } : {},
    );
    for (const z of [ZONE, REV4]) await pdns.createZone(z);
  } catch (e) {
    await sim.stop();
    throw e;
  }
  const p = pdns;
  writeFileSync(join(dir, "pve-ca.pem"), sim.caPem);
  writeFileSync(join(dir, "proxmox-token"), sim.secret, { mode: 0o600 });
  writeFileSync(join(dir, "powerdns-api-key"), p.apiKey, { mode: 0o600 });
  const [user, tokenName] = sim.tokenId.split("!") as [string, string];
  return {
    sim,
    pdns: p,
    dir,
    config(name, c) {
      const path = join(dir, name);
      writeFileSync(
        path,
        `collect_interval = "${c.interval}"

[proxmox]
url = "${sim.url}"
user = "${user}"
token_id = "${tokenName}"
token_uuid_file = "${join(dir, "proxmox-token")}"
ca_file = "${join(dir, "pve-ca.pem")}"

[dns]
provider = "powerdns"
zones = ["${ZONE}", "${REV4}"]
ttl = 60
ptr = true
owner_id = "pipam-bench"

[dns.powerdns]
url = "${p.url}"
api_key_file = "${join(dir, "powerdns-api-key")}"

[mapping."${ZONE.slice(0, -1)}"]
networks = [{ cidr = "10.0.0.0/8" }]

[server]
listen = "${c.listen}"
${c.extra ?? ""}`,
      );
      return path;
    },
    addGuest(vmid, name, ip) {
      const g: SimGuest = {
        vmid,
        type: "qemu",
        node: "pve1",
        name,
        status: "running",
        uptime: 10,
        agent: "ok",
        nics: [{ name: "ens18", mac: macOf(vmid), ipv4: [`${ip}/8`] }],
      };
      sim.mutate((s) => {
        s.guests.push(g);
      });
    },
    async stop() {
      await Promise.allSettled([sim.stop(), p.stop()]);
      // PIPAM_BENCH_KEEP=1 keeps configs, node logs and data for a look afterwards
      if (process.env.PIPAM_BENCH_KEEP === "1") console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

function macOf(vmid: number): string {
  const h = (n: number) => n.toString(16).padStart(2, "0").toUpperCase();
  return `BC:24:12:${h((vmid >> 16) & 0xff)}:${h((vmid >> 8) & 0xff)}:${h(vmid & 0xff)}`;
}

/**
 * `dist/pipam -c <config> run` in its own process group, output to `<config>.log`.
 * PIPAM_BENCH_CMD (space-separated) replaces `dist/pipam`, e.g. to profile from source:
 * `PIPAM_BENCH_CMD="node_modules/.bin/bun --cpu-prof --cpu-prof-dir=/tmp/prof src/main.ts"`.
 */
export function spawnPipam(configPath: string, args: string[] = []): Child {
  const cmd = process.env.PIPAM_BENCH_CMD?.split(" ").filter(Boolean) ?? [BINARY];
  return spawnGroup([...cmd, "-c", configPath, ...args, "run"], `${configPath}.log`);
}

/** Polls `GET http://<listen>/readyz` every `everyMs` until 200; ms until then, or undefined. */
export async function waitReady(listen: string, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const ok = await until(
    async () => {
      const r = await fetch(`http://${listen}/readyz`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200 ? true : undefined;
    },
    timeoutMs,
    everyMs,
  );
  return ok === true;
}
