/**
 * The etcd side of the Raft benchmark (the anchor): a 3-member etcd 3.4 cluster (Debian
 * `etcd-server`) on 127.0.0.1 with its default fsync settings, in a temp dir, run the way
 * ../shared/reference/etcd-anchor/ ran it (heartbeat 100 ms, election timeout 1000 ms), measured
 * with the same client stack as the pipam side (Bun fetch, keep-alive, HTTP/1.1):
 *   - 1 KiB puts to the leader (POST /v3/kv/put on the gRPC gateway), sequential and N in flight:
 *     puts/s, p50/p99 latency, CPU per put (members and client);
 *   - failover: R rounds of kill -9 the leader → first successful put through a survivor (a put
 *     every 10 ms alternating between the two survivors, 3 s timeout each), then the killed member
 *     is restarted on its data dir and must be healthy before the next round.
 * Every loop has a count and a time bound; every member is stopped at the end (and on exit).
 *   bun scripts/bench/etcd.ts [--seq 3000] [--conc-n 20000] [--conc 64] [--rounds 20] [--max-s 30]
 *     [--warm-s 10] [--dump FILE]
 * Last line: `BENCH_RESULT {...}` for run-all.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type Child,
  emitResult,
  freePort,
  installCleanup,
  median,
  pct,
  r2,
  spawnGroup,
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
    keep: { type: "boolean", default: false },
    /** seconds of sequential puts before the sequential measurement (the same as pipam's) */
    "warm-s": { type: "string", default: "10" },
    /** write every put's start (ms since the load began) and latency as CSV */
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

interface Member {
  i: number;
  client: string;
  peer: string;
  dir: string;
  child?: Child;
}

const work = mkdtempSync(join(tmpdir(), "pipam-bench-etcd-"));
installCleanup(async () => {
  await stopAll();
});
const members: Member[] = [];
for (let i = 1; i <= 3; i++) {
  members.push({
    i,
    client: `http://127.0.0.1:${await freePort()}`,
    peer: `http://127.0.0.1:${await freePort()}`,
    dir: join(work, `n${i}.etcd`),
  });
}
const initialCluster = members.map((m) => `n${m.i}=${m.peer}`).join(",");

function startMember(m: Member): void {
  m.child = spawnGroup(
    [
      "etcd",
      "--name",
      `n${m.i}`,
      "--data-dir",
      m.dir,
      "--listen-client-urls",
      m.client,
      "--advertise-client-urls",
      m.client,
      "--listen-peer-urls",
      m.peer,
      "--initial-advertise-peer-urls",
      m.peer,
      "--initial-cluster",
      initialCluster,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      "bench-etcd",
      "--heartbeat-interval",
      "100",
      "--election-timeout",
      "1000",
      "--logger",
      "zap",
      "--log-outputs",
      "stderr",
    ],
    join(work, `n${m.i}.log`),
  );
}

async function healthy(m: Member): Promise<boolean> {
  try {
    const r = await fetch(`${m.client}/health`, { signal: AbortSignal.timeout(1000) });
    const j = (await r.json()) as { health?: string };
    return r.status === 200 && j.health === "true";
  } catch {
    return false;
  }
}

async function waitHealthy(ms: readonly Member[], timeoutMs = 30_000): Promise<void> {
  const ok = await until(
    async () => ((await Promise.all(ms.map(healthy))).every(Boolean) ? true : undefined),
    timeoutMs,
    50,
  );
  if (!ok)
    throw new Error(
      `etcd not healthy after ${timeoutMs} ms: ${ms.map((m) => m.client).join(", ")} (logs in ${work})`,
    );
}

/** The leader, from POST /v3/maintenance/status (uint64 ids come back as strings). */
async function leader(): Promise<Member | undefined> {
  for (const m of members) {
    if (!m.child?.alive()) continue;
    try {
      const r = await fetch(`${m.client}/v3/maintenance/status`, {
        method: "POST",
        body: "{}",
        signal: AbortSignal.timeout(1000),
      });
      const j = (await r.json()) as { header?: { member_id?: string }; leader?: string };
      if (j.leader && j.header?.member_id === j.leader) return m;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const value = Buffer.from(crypto.getRandomValues(new Uint8Array(VSIZE))).toString("base64");

async function put(base: string, key: string, timeoutMs: number): Promise<{ ok: boolean; ms: number }> {
  const t0 = performance.now();
  try {
    const r = await fetch(`${base}/v3/kv/put`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"key":"${b64(key)}","value":"${value}"}`,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const txt = await r.text();
    return { ok: r.status === 200 && txt.includes('"header"'), ms: performance.now() - t0 };
  } catch {
    return { ok: false, ms: performance.now() - t0 };
  }
}

function cpuTicks(): number {
  let t = 0;
  for (const m of members) {
    if (!m.child) continue;
    try {
      const s = readFileSync(`/proc/${m.child.pid}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      t += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return t;
}

interface LoadResult {
  mode: string;
  concurrency: number;
  ok: number;
  errors: number;
  elapsed_s: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  server_cpu_us_per_op: number;
  client_cpu_us_per_op: number;
}

/**
 * n puts with `c` in flight (c = 1: sequential), after `warm` puts per worker or, with `warmS`,
 * that many seconds of puts (as long as pipam's warm-up; bounded to 10,000 per worker); time
 * bound MAX_S.
 */
async function load(
  base: string,
  mode: string,
  n: number,
  c: number,
  warm: number,
  warmS = 0,
): Promise<LoadResult> {
  const warmUntil = performance.now() + warmS * 1000;
  await Promise.all(
    Array.from({ length: c }, async (_, w) => {
      for (let i = 0; i < 10_000 && (i < warm || performance.now() < warmUntil); i++)
        await put(base, `bench/warm/${mode}/${w}/${i}`, 10_000);
    }),
  );
  const lats: number[] = [];
  const starts: number[] = [];
  let errors = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const tick0 = cpuTicks();
  const t0 = performance.now();
  const deadline = t0 + MAX_S * 1000;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n && performance.now() < deadline && errors < 1000) {
        const i = next++;
        const s0 = performance.now() - t0;
        const r = await put(base, `bench/${mode}/${i}`, 10_000);
        if (r.ok) {
          lats.push(r.ms);
          starts.push(s0);
        } else errors++;
      }
    }),
  );
  const el = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ticks = cpuTicks() - tick0;
  if (a.dump) {
    const rows = lats.map((l, i) => `${mode},${r2(starts[i]!)},${r2(l)}`);
    appendFileSync(a.dump, `${rows.join("\n")}\n`);
  }
  return {
    mode,
    concurrency: c,
    ok: lats.length,
    errors,
    elapsed_s: r2(el),
    per_s: r2(lats.length / el),
    p50_ms: r2(pct(lats, 0.5)),
    p99_ms: r2(pct(lats, 0.99)),
    max_ms: r2(Math.max(...lats)),
    server_cpu_us_per_op: Math.round((ticks * 10_000) / Math.max(1, lats.length)),
    client_cpu_us_per_op: Math.round((cpu.user + cpu.system) / Math.max(1, lats.length)),
  };
}

interface Round {
  round: number;
  killed: number;
  ok: boolean;
  failover_ms: number | null;
  attempts: number;
  restart_to_healthy_ms: number;
}

/** kill -9 the leader; a put every 10 ms at the survivors; ms from the kill to the first 200. */
async function failoverRound(round: number): Promise<Round> {
  await waitHealthy(members);
  const L = await until(leader, 10_000, 50);
  if (!L?.child) throw new Error("no etcd leader");
  const survivors = members.filter((m) => m !== L).map((m) => m.client);
  for (const s of survivors) await put(s, "bench/failover/warm", 3000); // open connections first
  const victim = L.child;
  try {
    process.kill(-victim.pid, "SIGKILL");
  } catch {
    process.kill(victim.pid, "SIGKILL");
  }
  const t0 = performance.now();
  let attempts = 0;
  const res = await new Promise<{ ok: boolean; ms: number | null }>((resolve) => {
    let settled = false;
    const tick = () => {
      if (settled) return;
      if (performance.now() - t0 > 15_000) {
        settled = true;
        resolve({ ok: false, ms: null });
        return;
      }
      const base = survivors[attempts++ % survivors.length]!;
      void put(base, "bench/failover/k", 3000).then((r) => {
        if (!settled && r.ok) {
          settled = true;
          resolve({ ok: true, ms: performance.now() - t0 });
        }
      });
      setTimeout(tick, 10);
    };
    tick();
  });
  await victim.kill9();
  const t1 = performance.now();
  startMember(L);
  await waitHealthy([L]);
  const restart = performance.now() - t1;
  await Bun.sleep(1000);
  return {
    round,
    killed: L.i,
    ok: res.ok,
    failover_ms: res.ms === null ? null : r2(res.ms),
    attempts,
    restart_to_healthy_ms: Math.round(restart),
  };
}

async function fresh(): Promise<Member> {
  await stopAll();
  for (const m of members) rmSync(m.dir, { recursive: true, force: true });
  for (const m of members) startMember(m);
  await waitHealthy(members);
  const L = await until(leader, 10_000, 50);
  if (!L) throw new Error("no etcd leader");
  return L;
}

async function version(): Promise<string> {
  const p = Bun.spawn(["etcd", "--version"], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? "unknown";
}

mkdirSync(work, { recursive: true });
const started = performance.now();
try {
  const ver = await version();
  console.log(`etcd benchmark: etcd ${ver}, 3 members on 127.0.0.1, data in ${work}; ${VSIZE} B values`);
  let L = await fresh();
  const seq = await load(L.client, "seq", SEQ_N, 1, 100, WARM_S);
  console.log(
    `etcd sequential: ${seq.ok} puts, ${seq.per_s} puts/s, p50 ${seq.p50_ms} ms, p99 ${seq.p99_ms} ms, errors ${seq.errors}, CPU/put: members ${seq.server_cpu_us_per_op} µs, client ${seq.client_cpu_us_per_op} µs`,
  );
  L = await fresh();
  const conc = await load(L.client, "conc", CONC_N, CONC, 10);
  console.log(
    `etcd ${CONC} in flight: ${conc.ok} puts, ${conc.per_s} puts/s, p50 ${conc.p50_ms} ms, p99 ${conc.p99_ms} ms, errors ${conc.errors}, CPU/put: members ${conc.server_cpu_us_per_op} µs, client ${conc.client_cpu_us_per_op} µs`,
  );
  await fresh();
  const rounds: Round[] = [];
  const foDeadline = performance.now() + 180_000;
  for (let r = 1; r <= ROUNDS && performance.now() < foDeadline; r++) {
    const x = await failoverRound(r);
    rounds.push(x);
    console.log(
      `etcd failover round ${r}: killed n${x.killed}, ${x.ok ? `${x.failover_ms} ms` : "no put within 15 s"} (${x.attempts} attempts), restart→healthy ${x.restart_to_healthy_ms} ms`,
    );
  }
  // a round without a successful put within the 15 s bound counts as 15 s (it is not left out)
  const fo = rounds.map((x) => x.failover_ms ?? 15_000);
  const failover = {
    rounds: rounds.length,
    ok: rounds.filter((x) => x.ok).length,
    median_ms: r2(median(fo)),
    p95_ms: r2(pct(fo, 0.95)),
    min_ms: r2(Math.min(...fo)),
    max_ms: r2(Math.max(...fo)),
    samples_ms: fo,
  };
  console.log(
    `etcd failover (kill -9 leader → first OK put): ${failover.ok}/${failover.rounds} rounds, median ${failover.median_ms} ms, p95 ${failover.p95_ms} ms, min ${failover.min_ms}, max ${failover.max_ms}`,
  );
  console.log(`etcd benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  emitResult({ bench: "etcd", version: ver, value_bytes: VSIZE, seq, conc, failover });
} finally {
  await stopAll();
  if (!a.keep) rmSync(work, { recursive: true, force: true });
}
