/**
 * A 3-node pipam cluster of compiled binaries on loopback for the e2e tests. Each node listens on
 * its own OS-chosen port; every peer link i → j goes through its own fault proxy (node i's
 * `[raft.peers] j` is that proxy), so `partition(id)` cuts exactly the links to and from one node
 * while the tests still reach every node directly (admin API, /metrics, /readyz).
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Subprocess } from "bun";
import { AdminService, type GetStatusResponse } from "../../../src/gen/pipam/v1/admin_pb.ts";
import { bearerInterceptor } from "../../../src/raft/transport/auth.ts";
import type { ProxmoxSim } from "../../../src/sim/index.ts";
import type { TestPdns } from "../../../src/testing/pdns.ts";
import { type FaultProxy, startFaultProxy } from "./proxy.ts";
import { sleep, waitFor } from "./wait.ts";

export interface ClusterNode {
  readonly id: number;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** The node's own port while it runs (direct, not through a proxy). */
  readonly port: number | undefined;
  /** http://127.0.0.1:<port> (direct). */
  readonly url: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Spawns the binary and waits until its HTTP server listens. */
  start(): Promise<void>;
  /** SIGKILL, waits for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** rm -rf data_dir (only while stopped). */
  wipe(): void;
  log(): string;
  /** Times (ms since epoch, from the log) and lines of "dns changes applied" (a PowerDNS write). */
  writes(): { at: number; line: string }[];
  admin(): Client<typeof AdminService>;
  status(timeoutMs?: number): Promise<GetStatusResponse>;
  /** Sum of every sample of a Prometheus metric on /metrics. */
  metric(name: string): Promise<number>;
}

export interface Cluster {
  readonly nodes: ClusterNode[];
  readonly dir: string;
  readonly secret: string;
  readonly adminToken: string;
  node(id: number): ClusterNode;
  /** Cuts every proxied link from and to node `id`. */
  partition(id: number): void;
  heal(id: number): void;
  /**
   * Waits until one node among `among` (default: the running ones) is leader and all of them
   * report that leader and the same term.
   */
  waitLeader(opts?: { among?: number[]; timeoutMs?: number }): Promise<{ leader: ClusterNode; term: number }>;
  /** `pipam -c <node config> status --json --server <node url>` through the binary. */
  statusCli(id: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `pipam -c <node config> <args>` through the binary. */
  cli(id: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  bin: string;
  sim: ProxmoxSim;
  pdns: TestPdns;
  zone: string;
  /** Mapping networks of the zone. */
  networks: string[];
  ownerId: string;
  size?: number;
  /**
   * Nodes beyond `size` (ids size+1…) that are configured but neither started nor members: their
   * own config lists the members and themselves (with `join = true`), the members' configs do not
   * list them.
   */
  spares?: number;
  collectInterval?: string;
  tickIntervalMs?: number;
  /** TOML appended to every node's config (tables only, e.g. `[log]\nlevel = "debug"`). */
  extraConfig?: string;
}

const LISTENING = /http server listening url=http:\/\/127\.0\.0\.1:(\d+)/g;

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const size = o.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "pipam-e2e-cluster-"));
  const secretsDir = join(dir, "secrets");
  mkdirSync(secretsDir, { mode: 0o700 });
  const secret = `raft-${crypto.randomUUID()}`;
  const adminToken = `admin-${crypto.randomUUID()}`;
  const secretFile = (name: string, value: string) => {
    const p = join(secretsDir, name);
    writeFileSync(p, value, { mode: 0o600 });
    return p;
  };
  const raftSecret = secretFile("raft", secret);
  const adminFile = secretFile("admin", adminToken);
  const pdnsKey = secretFile("pdns", o.pdns.apiKey);
  const pveSecret = secretFile("pve", o.sim.secret);
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, o.sim.caPem);
  const [user, tokenId] = o.sim.tokenId.split("!") as [string, string];

  const ports = new Map<number, number | undefined>();
  const ids = Array.from({ length: size + (o.spares ?? 0) }, (_, i) => i + 1);
  // proxies[from][to]: the link from node `from` to node `to` (from === to: the node's own entry).
  const proxies = new Map<number, Map<number, FaultProxy>>();
  for (const from of ids) {
    const row = new Map<number, FaultProxy>();
    for (const to of ids)
      row.set(
        to,
        startFaultProxy(() => ports.get(to)),
      );
    proxies.set(from, row);
  }

  const nodes: ClusterNode[] = ids.map((id) => {
    const dataDir = join(dir, `n${id}`);
    const configPath = join(dir, `n${id}.toml`);
    const logPath = join(dir, `n${id}.log`);
    const peers = ids
      .filter((to) => to <= size || to === id)
      .map((to) => `${to} = "${proxies.get(id)!.get(to)!.url}"`)
      .join("\n");
    writeFileSync(
      configPath,
      `collect_interval = "${o.collectInterval ?? "1s"}"
[proxmox]
url = "${o.sim.url}"
user = "${user}"
token_id = "${tokenId}"
token_uuid_file = "${pveSecret}"
ca_file = "${caFile}"
[dns]
provider = "powerdns"
zones = ["${o.zone}"]
owner_id = "${o.ownerId}"
[dns.powerdns]
url = "${o.pdns.url}"
api_key_file = "${pdnsKey}"
[mapping."${o.zone.replace(/\.$/, "")}"]
networks = [${o.networks.map((c) => `{ cidr = "${c}" }`).join(", ")}]
[server]
listen = "127.0.0.1:0"
[raft]
node_id = ${id}
listen_addr = "127.0.0.1:0"
data_dir = "${dataDir}"
tick_interval = ${o.tickIntervalMs ?? 100}
secret_file = "${raftSecret}"
admin_token_file = "${adminFile}"
${id > size ? "join = true\n" : ""}[raft.peers]
${peers}
${o.extraConfig ?? ""}
`,
    );
    writeFileSync(logPath, "");
    let proc: Subprocess | undefined;
    const self: ClusterNode = {
      id,
      dataDir,
      configPath,
      logPath,
      get port() {
        return ports.get(id);
      },
      get url() {
        return `http://127.0.0.1:${ports.get(id) ?? 0}`;
      },
      get running() {
        return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
      },
      get pid() {
        return proc?.pid;
      },
      async start() {
        if (self.running) throw new Error(`node ${id} already runs`);
        const offset = statSync(logPath).size;
        const fd = openSync(logPath, "a");
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PIPAM_") && v) env[k] = v;
        proc = Bun.spawn([o.bin, "-c", configPath, "run"], { env, stdout: fd, stderr: fd, stdin: "ignore" });
        closeSync(fd);
        const started = proc;
        watchdog(started.pid);
        const port = await waitFor(
          `node ${id} to listen (log ${logPath})`,
          () => {
            if (started.exitCode !== null || started.signalCode !== null)
              throw new Error(
                `node ${id} exited (${started.exitCode ?? started.signalCode}): ${tail(logPath)}`,
              );
            const text = readFileSync(logPath, "utf8").slice(offset);
            const m = [...text.matchAll(LISTENING)];
            return m.length > 0 ? Number(m[0]![1]) : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 50 },
        );
        ports.set(id, port);
      },
      async kill9() {
        const p = proc;
        ports.set(id, undefined);
        if (!p) return;
        p.kill("SIGKILL");
        await p.exited;
      },
      async stop() {
        const p = proc;
        if (!p) return;
        if (p.exitCode === null && p.signalCode === null) {
          p.kill("SIGTERM");
          const done = await Promise.race([p.exited.then(() => true), sleep(5000).then(() => false)]);
          if (!done) {
            p.kill("SIGKILL");
            await p.exited;
          }
        }
        ports.set(id, undefined);
      },
      wipe() {
        if (self.running) throw new Error(`node ${id} runs: stop it before wiping ${dataDir}`);
        rmSync(dataDir, { recursive: true, force: true });
      },
      log: () => readFileSync(logPath, "utf8"),
      writes() {
        return self
          .log()
          .split("\n")
          .filter((l) => l.includes("dns changes applied"))
          .map((line) => ({ at: Date.parse(line.split(" ")[0] ?? ""), line }));
      },
      admin() {
        return createClient(
          AdminService,
          createConnectTransport({
            baseUrl: self.url,
            useBinaryFormat: true,
            interceptors: [bearerInterceptor(adminToken)],
          }),
        );
      },
      status(timeoutMs = 1500) {
        return self.admin().getStatus({}, { timeoutMs });
      },
      async metric(name) {
        const res = await fetch(`${self.url}/metrics`, { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`node ${id} /metrics: HTTP ${res.status}`);
        let sum = 0;
        for (const line of (await res.text()).split("\n")) {
          if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
            sum += Number(line.split(" ").at(-1));
        }
        return sum;
      },
    };
    return self;
  });

  const node = (id: number) => {
    const n = nodes[id - 1];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  };
  const links = (id: number) => {
    const out: FaultProxy[] = [];
    for (const [from, row] of proxies)
      for (const [to, p] of row) if (from !== to && (from === id || to === id)) out.push(p);
    return out;
  };

  const cluster: Cluster = {
    nodes,
    dir,
    secret,
    adminToken,
    node,
    partition: (id) => {
      for (const p of links(id)) p.cut();
    },
    heal: (id) => {
      for (const p of links(id)) p.heal();
    },
    async waitLeader(opts = {}) {
      const among = (opts.among ?? nodes.filter((n) => n.running).map((n) => n.id)).map(node);
      return waitFor(
        `a leader agreed by nodes ${among.map((n) => n.id).join(",")}`,
        async () => {
          const sts = await Promise.all(among.map((n) => n.status()));
          const leaders = sts.filter((s) => s.role === "leader");
          if (leaders.length !== 1)
            throw new Error(`leaders: ${leaders.map((s) => s.nodeId).join(",") || "none"}`);
          const l = leaders[0]!;
          const agree = sts.every((s) => s.leaderId === l.nodeId && s.term === l.term);
          if (!agree)
            throw new Error(
              `views: ${sts.map((s) => `${s.nodeId}:${s.role}/l${s.leaderId}/t${s.term}`).join(" ")}`,
            );
          return { leader: node(Number(l.nodeId)), term: Number(l.term) };
        },
        { timeoutMs: opts.timeoutMs ?? 15_000, intervalMs: 50 },
      );
    },
    statusCli(id) {
      return cluster.cli(id, ["status", "--json", "--server", node(id).url]);
    },
    async cli(id, args) {
      const n = node(id);
      const proc = Bun.spawn([o.bin, "-c", n.configPath, ...args], {
        stdout: "pipe",
        stderr: "pipe",
        stdin: "ignore",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    },
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.kill9()));
      for (const row of proxies.values()) for (const p of row.values()) p.stop();
      if (!process.env.PIPAM_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.filter((n) => n.id <= size).map((n) => n.start()));
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** Kills the node if this test process dies without cleaning up (checked every second). */
function watchdog(pid: number): void {
  const w = Bun.spawn(
    [
      "sh",
      "-c",
      `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  w.unref();
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}
