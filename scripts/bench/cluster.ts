/**
 * pipam's side of the Raft benchmark: three COMPILED nodes (`dist/pipam -c nodeN.toml run`, Raft
 * data on disk in a temp dir, tick 100 ms) on 127.0.0.1 against the Proxmox simulator and a real
 * PowerDNS, measured with the same client stack as scripts/bench/etcd.ts (Bun fetch, keep-alive):
 *   (a) 1 KiB `AdminService.Propose` calls to the leader (committed through Raft, returned once
 *       applied on the leader), sequential and N in flight: proposals/s, p50/p99, CPU per op.
 *       The sequential run follows --warm-s seconds of proposals: JavaScriptCore keeps compiling
 *       the hot path for ~10 s under load, and a daemon is measured as it runs (etcd.ts warms up
 *       for as long);
 *   (b) failover over R rounds: kill -9 the leader (its process group) and, at the same moment, a
 *       new guest appears in the simulator; measured from the kill: a survivor reports itself
 *       leader (GetStatus), and the new guest's A record answers on `dig` — that is the new
 *       leader's first successful reconcile (collect → commit → PowerDNS write). The killed node is
 *       restarted on its data dir and must be a follower again before the next round.
 * Every loop has a count and a time bound; every node is stopped at the end (and on exit).
 *   bun scripts/bench/cluster.ts [--seq 3000] [--conc-n 20000] [--conc 64] [--rounds 20]
 *     [--warm-s 10] [--interval 30s] [--dump FILE]
 * Last line: `BENCH_RESULT {...}` for run-all (with `error` when the cluster could not be used).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AdminService, ProposeRequestSchema } from "../../src/gen/pipam/v1/admin_pb.ts";
import { type PipamEnv, spawnPipam, startPipamEnv, ZONE } from "./pipam-env.ts";
import {
  type Child,
  digMany,
  emitResult,
  ensureBinary,
  freePort,
  installCleanup,
  median,
  pct,
  r2,
  stopAll,
  until,
} from "./run-support.ts";

const { values: a } = parseArgs({
  options: {
    seq: { type: "string", default: "3000" },
    "conc-n": { type: "string", default: "20000" },
    conc: { type: "string", default: "64" },
    rounds: { type: "string", default: "20" },
    "max-s": { type: "string", default: "30" },
    vsize: { type: "string", default: "1024" },
    guests: { type: "string", default: "50" },
    /** collect_interval of the nodes (default: the product default, 30s); "1s" adds a cycle a second */
    interval: { type: "string", default: "30s" },
    /** seconds of sequential proposals before the sequential measurement (JIT warm-up) */
    "warm-s": { type: "string", default: "10" },
    /** write every proposal's start (ms since the load began) and latency as CSV, for tail analysis */
    dump: { type: "string" },
  },
});
const SEQ_N = Number(a.seq);
const CONC_N = Number(a["conc-n"]);
const CONC = Number(a.conc);
const ROUNDS = Number(a.rounds);
const MAX_S = Number(a["max-s"]);
const VSIZE = Number(a.vsize);
const WARM_S = Number(a["warm-s"]);

type Admin = ReturnType<typeof createClient<typeof AdminService>>;
interface Node {
  id: number;
  listen: string;
  cfg: string;
  child?: Child;
  admin: Admin;
}

const adminToken = crypto.randomUUID();
const payload = crypto.getRandomValues(new Uint8Array(VSIZE));
const proposeBody = toBinary(ProposeRequestSchema, create(ProposeRequestSchema, { payload }));
const proposeHeaders = {
  "content-type": "application/proto",
  "connect-protocol-version": "1",
  authorization: `Bearer ${adminToken}`,
};

async function status(n: Node) {
  const st = await n.admin.getStatus({}, { timeoutMs: 1000 });
  return {
    role: st.role,
    leader: Number(st.leaderId),
    term: Number(st.term),
    applied: Number(st.appliedIndex),
  };
}

/** The node every live node agrees is the leader (and which says so itself). */
async function agreedLeader(nodes: readonly Node[]): Promise<Node | undefined> {
  const live = nodes.filter((n) => n.child?.alive());
  const sts = await Promise.all(live.map((n) => status(n).catch(() => undefined)));
  const l = sts[0]?.leader;
  if (!l || sts.some((s) => s?.leader !== l)) return undefined;
  const node = live.find((n) => n.id === l);
  const own = sts[live.indexOf(node!)];
  return own?.role === "leader" ? node : undefined;
}

/**
 * One `AdminService.Propose` as a plain Connect unary call: a POST of the binary request with
 * fetch, exactly as scripts/bench/etcd.ts posts its puts (no client library on either side).
 */
async function propose(n: Node, timeoutMs: number): Promise<{ ok: boolean; ms: number; err?: string }> {
  const t0 = performance.now();
  try {
    const r = await fetch(`http://${n.listen}/pipam.v1.AdminService/Propose`, {
      method: "POST",
      headers: proposeHeaders,
      body: proposeBody,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = new Uint8Array(await r.arrayBuffer());
    if (r.status === 200) return { ok: true, ms: performance.now() - t0 };
    return {
      ok: false,
      ms: performance.now() - t0,
      err: `HTTP ${r.status}: ${new TextDecoder().decode(body)}`,
    };
  } catch (e) {
    return { ok: false, ms: performance.now() - t0, err: e instanceof Error ? e.message : String(e) };
  }
}

function cpuTicks(nodes: readonly Node[]): number {
  let t = 0;
  for (const n of nodes) {
    if (!n.child) continue;
    try {
      const s = readFileSync(`/proc/${n.child.pid}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      t += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return t;
}

/**
 * n proposals with `c` in flight after a warm-up of `warm` proposals per worker or, with
 * `warmS`, of that many seconds (bounded to 10,000 proposals per worker either way).
 */
async function load(
  nodes: readonly Node[],
  L: Node,
  mode: string,
  n: number,
  c: number,
  warm: number,
  warmS = 0,
) {
  let firstErr: string | undefined;
  const warmUntil = performance.now() + warmS * 1000;
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = 0; i < 10_000 && (i < warm || performance.now() < warmUntil); i++) {
        const r = await propose(L, 10_000);
        if (!r.ok) firstErr ??= r.err;
      }
    }),
  );
  if (firstErr) console.log(`warm-up error: ${firstErr}`);
  const lats: number[] = [];
  const starts: number[] = [];
  let errors = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const tick0 = cpuTicks(nodes);
  const t0 = performance.now();
  if (a.dump) {
    // the node pids (sched-tail.ts reads them) and t0 as epoch ms, to line the CSV up with other
    // traces (perf's own clock is CLOCK_MONOTONIC: add the epoch offset)
    const pids = nodes.map((x) => `${x.id}:${x.child?.pid}${x === L ? "*" : ""}`).join(" ");
    console.log(`dump ${mode}: t0 epoch ${(performance.timeOrigin + t0).toFixed(3)} ms, nodes ${pids}`);
  }
  const deadline = t0 + MAX_S * 1000;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n && performance.now() < deadline && errors < 1000) {
        next++;
        const s0 = performance.now() - t0;
        const r = await propose(L, 10_000);
        if (r.ok) {
          lats.push(r.ms);
          starts.push(s0);
        } else {
          errors++;
          firstErr ??= r.err;
        }
      }
    }),
  );
  const el = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (a.dump) {
    const rows = lats.map((l, i) => `${mode},${r2(starts[i]!)},${r2(l)}`);
    writeFileSync(a.dump, `${rows.join("\n")}\n`, { flag: "a" });
  }
  const ticks = cpuTicks(nodes) - tick0;
  const res = {
    mode,
    concurrency: c,
    ok: lats.length,
    errors,
    first_error: firstErr,
    elapsed_s: r2(el),
    per_s: r2(lats.length / el),
    p50_ms: r2(pct(lats, 0.5)),
    p99_ms: r2(pct(lats, 0.99)),
    max_ms: r2(Math.max(...lats)),
    server_cpu_us_per_op: Math.round((ticks * 10_000) / Math.max(1, lats.length)),
    client_cpu_us_per_op: Math.round((cpu.user + cpu.system) / Math.max(1, lats.length)),
  };
  if (lats.length === 0) throw new Error(`no Propose succeeded (${firstErr ?? "no error text"})`);
  return res;
}

interface Round {
  round: number;
  killed: number;
  elected_ms: number | null;
  new_leader: number | null;
  reconciled_ms: number | null;
  restart_to_follower_ms: number | null;
}

async function failoverRound(env: PipamEnv, nodes: Node[], r: number): Promise<Round> {
  const L = await until(() => agreedLeader(nodes), 30_000, 50);
  if (!L?.child) throw new Error("no agreed leader before the round");
  // the leader must have finished a cycle since it was elected (the cluster is steady)
  await Bun.sleep(300);
  const survivors = nodes.filter((n) => n !== L);
  for (const s of survivors) await status(s).catch(() => undefined); // connections open first
  const fqdn = `fo-${r}.${ZONE.slice(0, -1)}`;
  const ip = `10.201.${Math.floor(r / 250)}.${(r % 250) + 1}`;
  const victim = L.child;
  try {
    process.kill(-victim.pid, "SIGKILL");
  } catch {
    process.kill(victim.pid, "SIGKILL");
  }
  const t0 = performance.now();
  env.addGuest(60_000 + r, `fo-${r}`, ip);
  let elected: number | null = null;
  let newLeader: number | null = null;
  let reconciled: number | null = null;
  const bound = t0 + 15_000;
  await Promise.all([
    (async () => {
      while (elected === null && performance.now() < bound) {
        const sts = await Promise.all(survivors.map((s) => status(s).catch(() => undefined)));
        const i = sts.findIndex((s) => s?.role === "leader");
        if (i >= 0) {
          elected = performance.now() - t0;
          newLeader = survivors[i]!.id;
        } else await Bun.sleep(10);
      }
    })(),
    (async () => {
      while (reconciled === null && performance.now() < bound) {
        const ans = await digMany(env.pdns.dnsPort, [fqdn]);
        if (ans.get(fqdn)?.includes(ip)) reconciled = performance.now() - t0;
        else await Bun.sleep(10);
      }
    })(),
  ]);
  await victim.kill9();
  const t1 = performance.now();
  L.child = spawnPipam(L.cfg);
  const back = await until(
    async () => {
      const st = await status(L);
      return st.role === "follower" && st.leader !== 0 ? true : undefined;
    },
    30_000,
    20,
  );
  const restart = back ? performance.now() - t1 : null;
  await Bun.sleep(1000);
  return {
    round: r,
    killed: L.id,
    elected_ms: elected === null ? null : r2(elected),
    new_leader: newLeader,
    reconciled_ms: reconciled === null ? null : r2(reconciled),
    restart_to_follower_ms: restart === null ? null : Math.round(restart),
  };
}

installCleanup(stopAll);
const started = performance.now();
let env: PipamEnv | undefined;
const stage = { at: "setup" };
try {
  await ensureBinary();
  env = await startPipamEnv({ guests: Number(a.guests), latencyMs: 1, pdnsCaches: false });
  const secretFile = join(env.dir, "raft-secret");
  const tokenFile = join(env.dir, "admin-token");
  writeFileSync(secretFile, crypto.randomUUID(), { mode: 0o600 });
  writeFileSync(tokenFile, adminToken, { mode: 0o600 });
  const ports = [await freePort(), await freePort(), await freePort()];
  const peers = ports.map((p, i) => `${i + 1} = "http://127.0.0.1:${p}"`).join("\n");
  const nodes: Node[] = ports.map((p, i) => {
    const id = i + 1;
    const listen = `127.0.0.1:${p}`;
    const cfg = env!.config(`node${id}.toml`, {
      interval: a.interval,
      listen,
      extra: `
[raft]
node_id = ${id}
data_dir = "${join(env!.dir, `n${id}`)}"
tick_interval = 100
secret_file = "${secretFile}"
admin_token_file = "${tokenFile}"

[raft.peers]
${peers}
`,
    });
    const admin = createClient(
      AdminService,
      createConnectTransport({
        baseUrl: `http://${listen}`,
        useBinaryFormat: true,
        interceptors: [
          (next) => async (req) => {
            req.header.set("authorization", `Bearer ${adminToken}`);
            return next(req);
          },
        ],
      }),
    );
    return { id, listen, cfg, admin };
  });
  for (const n of nodes) n.child = spawnPipam(n.cfg);
  stage.at = "election";
  let L = await until(() => agreedLeader(nodes), 60_000, 50);
  if (!L) throw new Error(`no leader within 60 s (logs: ${env.dir}/node*.toml.log)`);
  // the first reconcile (all guests into PowerDNS) must be done before the load
  stage.at = "first reconcile";
  const someGuest = env.sim.scenario.guests[0]!;
  const first = await until(
    async () =>
      (await digMany(env!.pdns.dnsPort, [`${someGuest.name}.${ZONE.slice(0, -1)}`])).size > 0
        ? true
        : undefined,
    60_000,
    100,
  );
  if (!first) throw new Error("the cluster did not reconcile within 60 s");
  console.log(`pipam cluster: 3 nodes up, leader ${L.id}, first reconcile done (${env.dir})`);
  stage.at = "propose";
  const seq = await load(nodes, L, "seq", SEQ_N, 1, 100, WARM_S);
  console.log(
    `pipam sequential: ${seq.ok} proposals, ${seq.per_s}/s, p50 ${seq.p50_ms} ms, p99 ${seq.p99_ms} ms, errors ${seq.errors}, CPU/op: nodes ${seq.server_cpu_us_per_op} µs, client ${seq.client_cpu_us_per_op} µs`,
  );
  L = (await until(() => agreedLeader(nodes), 30_000, 50)) ?? L;
  const conc = await load(nodes, L, "conc", CONC_N, CONC, 10);
  console.log(
    `pipam ${CONC} in flight: ${conc.ok} proposals, ${conc.per_s}/s, p50 ${conc.p50_ms} ms, p99 ${conc.p99_ms} ms, errors ${conc.errors}, CPU/op: nodes ${conc.server_cpu_us_per_op} µs, client ${conc.client_cpu_us_per_op} µs`,
  );
  stage.at = "failover";
  const rounds: Round[] = [];
  let failoverError: string | undefined;
  let consecutiveErrors = 0;
  const foDeadline = performance.now() + 240_000;
  for (let r = 1; r <= ROUNDS && performance.now() < foDeadline && consecutiveErrors < 3; r++) {
    try {
      const x = await failoverRound(env, nodes, r);
      rounds.push(x);
      consecutiveErrors = 0;
      console.log(
        `pipam failover round ${r}: killed ${x.killed}; new leader ${x.new_leader ?? "-"} after ${x.elected_ms ?? "-"} ms; change in DNS (first reconcile) after ${x.reconciled_ms ?? "-"} ms; restart→follower ${x.restart_to_follower_ms ?? "-"} ms`,
      );
    } catch (e) {
      failoverError = e instanceof Error ? e.message : String(e);
      consecutiveErrors++;
      console.log(`pipam failover round ${r}: failed: ${failoverError}`);
      // bring every node back before the next try
      for (const n of nodes) if (!n.child?.alive()) n.child = spawnPipam(n.cfg);
      await Bun.sleep(2000);
    }
  }
  /** A round without an answer within the 15 s bound counts as 15 s (it is not left out). */
  const summary = (xs: (number | null)[]) => {
    const v = xs.map((x) => x ?? 15_000);
    return {
      ok: xs.filter((x) => x !== null).length,
      median_ms: r2(median(v)),
      p95_ms: r2(pct(v, 0.95)),
      min_ms: r2(Math.min(...v)),
      max_ms: r2(Math.max(...v)),
      samples_ms: xs,
    };
  };
  const reconciled = summary(rounds.map((x) => x.reconciled_ms));
  const elected = summary(rounds.map((x) => x.elected_ms));
  const leaderToDns = rounds.flatMap((x) =>
    x.reconciled_ms !== null && x.elected_ms !== null ? [x.reconciled_ms - x.elected_ms] : [],
  );
  const afterElection = { median_ms: r2(median(leaderToDns)), p95_ms: r2(pct(leaderToDns, 0.95)) };
  console.log(
    `pipam failover: ${rounds.length} rounds; kill → first reconcile (change in DNS): ${reconciled.ok} ok, median ${reconciled.median_ms} ms, p95 ${reconciled.p95_ms} ms, max ${reconciled.max_ms}; kill → new leader: median ${elected.median_ms} ms, p95 ${elected.p95_ms} ms; new leader → change in DNS: median ${afterElection.median_ms} ms, p95 ${afterElection.p95_ms} ms`,
  );
  console.log(`cluster benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  emitResult({
    bench: "cluster",
    value_bytes: VSIZE,
    seq,
    conc,
    failover: rounds.length > 0 ? { rounds: rounds.length, reconciled, elected, afterElection } : undefined,
    ...(failoverError ? { failover_error: failoverError } : {}),
  });
} catch (e) {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`cluster benchmark failed during ${stage.at}: ${msg}`);
  emitResult({ bench: "cluster", error: `${stage.at}: ${msg}` });
  process.exitCode = 1;
} finally {
  await stopAll();
  await env?.stop();
}
