/**
 * Where the sequential Raft tail waits: runs scripts/bench/cluster.ts, records the scheduler
 * (`perf record -a -e sched:sched_switch,sched:sched_wakeup`, Debian's linux-perf, as root) for
 * --perf-s seconds of its sequential phase, and prints
 *   - CPU share, runs per second and time per run of every thread on the machine;
 *   - for wake-ups of the nodes' event-loop threads: wake → running latency, split by whether
 *     the CPU it was woken onto was idle or busy;
 *   - for the waits over --wait-ms: what ran on that CPU meanwhile, and on the other CPUs.
 * A manual tool (perf is not installed by CI); docs/benchmarks.md quotes its output.
 *   bun scripts/bench/sched-tail.ts [--perf-s 4] [--wait-ms 0.5] [--bench="cluster.ts args"]
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: a } = parseArgs({
  options: {
    "perf-s": { type: "string", default: "4" },
    "wait-ms": { type: "string", default: "0.5" },
    bench: { type: "string", default: "--seq 5000 --conc-n 2000 --rounds 0" },
  },
});
const PERF_S = Number(a["perf-s"]);
const WAIT_S = Number(a["wait-ms"]) / 1000;
const benchArgs = a.bench.split(" ").filter(Boolean);

const tag = join(tmpdir(), `pipam-sched-${process.pid}`);
const bench = Bun.spawn(["bun", join(import.meta.dir, "cluster.ts"), ...benchArgs, "--dump", `${tag}.csv`], {
  stdout: "pipe",
  stderr: "inherit",
});
let out = "";
const reader = (async () => {
  const dec = new TextDecoder();
  const r = bench.stdout.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    out += dec.decode(value, { stream: true });
  }
})();
const t0 = performance.now();
while (!/dump seq:/.test(out) && performance.now() - t0 < 120_000 && bench.exitCode === null)
  await Bun.sleep(20);
if (!/dump seq:/.test(out)) {
  bench.kill();
  throw new Error(`the benchmark never reached its sequential phase:\n${out}`);
}
const pids = new Set(
  [...(/dump seq: .*nodes (.*)/.exec(out)?.[1] ?? "").matchAll(/\d+:(\d+)/g)].map((m) => Number(m[1])),
);
const rec = Bun.spawnSync(
  [
    "perf",
    "record",
    "-q",
    "-a",
    "-e",
    "sched:sched_switch",
    "-e",
    "sched:sched_wakeup",
    "-o",
    `${tag}.perf`,
    "--",
    "sleep",
    String(PERF_S),
  ],
  { stderr: "pipe" },
);
if (rec.exitCode !== 0) {
  bench.kill();
  throw new Error(`perf record failed: ${rec.stderr.toString()}`);
}
await bench.exited;
await reader;
for (const l of out.split("\n")) if (/sequential|dump seq/.test(l)) console.log(l);
const script = Bun.spawnSync(
  ["perf", "script", "-i", `${tag}.perf`, "-F", "comm,pid,tid,cpu,time,event,trace"],
  {
    stdout: "pipe",
    stderr: "pipe",
  },
);
rmSync(`${tag}.perf`, { force: true });
rmSync(`${tag}.csv`, { force: true });
const text = script.stdout.toString();

const rx = /^\s*(.+?)\s+(\d+)\/(\d+)\s+\[(\d+)\]\s+([\d.]+): sched:(\w+): (.*)$/;
const name = new Map<number, string>();
const tgid = new Map<number, number>();
const current = new Map<number, { tid: number; since: number }>();
const cpuTime = new Map<number, number>();
const runs = new Map<number, number>();
const pending = new Map<number, { at: number; busyWith: number; others: number[] }>();
const wakeLat = { idle: [] as number[], busy: [] as number[] };
const blameOn = new Map<string, { n: number; s: number }>();
const blameOther = new Map<string, number>();
let first = Number.NaN;
let last = 0;
const label = (t: number) => `${name.get(t) ?? "?"}@${tgid.get(t) ?? t}`;
for (const line of text.split("\n")) {
  const m = rx.exec(line);
  if (!m) continue;
  const [, comm, pid, tid, cpuS, tsS, ev, tr] = m;
  const ts = Number(tsS);
  const cpu = Number(cpuS);
  tgid.set(Number(tid), Number(pid));
  if (!name.has(Number(tid))) name.set(Number(tid), comm!.trim());
  if (Number.isNaN(first)) first = ts;
  last = ts;
  if (ev === "sched_switch") {
    const sm = /next_comm=(.*) next_pid=(\d+)/.exec(tr!);
    if (!sm) continue;
    const next = Number(sm[2]);
    if (!name.has(next)) name.set(next, sm[1]!.trim());
    const cur = current.get(cpu);
    if (cur && cur.tid !== 0) {
      cpuTime.set(cur.tid, (cpuTime.get(cur.tid) ?? 0) + ts - cur.since);
      runs.set(cur.tid, (runs.get(cur.tid) ?? 0) + 1);
    }
    current.set(cpu, { tid: next, since: ts });
    const p = pending.get(next);
    if (p) {
      pending.delete(next);
      const wait = ts - p.at;
      (p.busyWith === 0 ? wakeLat.idle : wakeLat.busy).push(wait);
      if (wait > WAIT_S && p.busyWith !== 0) {
        const b = blameOn.get(label(p.busyWith)) ?? { n: 0, s: 0 };
        b.n++;
        b.s += wait;
        blameOn.set(label(p.busyWith), b);
        for (const o of p.others) blameOther.set(label(o), (blameOther.get(label(o)) ?? 0) + 1);
      }
    }
  } else if (ev === "sched_wakeup") {
    const wm = /pid=(\d+) .*target_cpu=(\d+)/.exec(tr!);
    if (!wm) continue;
    const w = Number(wm[1]);
    if (!pids.has(w)) continue; // only the nodes' event-loop threads (tid == pid)
    const target = Number(wm[2]);
    const others = [...current.entries()].filter(([c]) => c !== target).map(([, v]) => v.tid);
    pending.set(w, { at: ts, busyWith: current.get(target)?.tid ?? 0, others });
  }
}
const dur = last - first;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
console.log(`\nthreads over ${dur.toFixed(2)} s (nodes: ${[...pids].join(", ")}):`);
for (const [t, s] of [...cpuTime.entries()].sort((x, y) => y[1] - x[1]).slice(0, 20)) {
  const n = runs.get(t) ?? 1;
  console.log(
    `  ${label(t).padEnd(30)} ${((s / dur) * 100).toFixed(2).padStart(6)}% CPU ${(n / dur).toFixed(0).padStart(6)} runs/s ${((s / n) * 1e6).toFixed(0).padStart(6)} µs/run`,
  );
}
console.log("\nevent-loop wake-up → running (µs):");
for (const k of ["idle", "busy"] as const) {
  const xs = wakeLat[k];
  console.log(
    `  onto a ${k} CPU: ${xs.length} wake-ups, p50 ${(pct(xs, 0.5) * 1e6).toFixed(0)}, p99 ${(pct(xs, 0.99) * 1e6).toFixed(0)}, p99.9 ${(pct(xs, 0.999) * 1e6).toFixed(0)}, over ${a["wait-ms"]} ms: ${xs.filter((x) => x > WAIT_S).length}`,
  );
}
console.log(`\nwaits over ${a["wait-ms"]} ms onto a busy CPU — running there meanwhile (count, ms in all):`);
for (const [k, v] of [...blameOn.entries()].sort((x, y) => y[1].s - x[1].s).slice(0, 12))
  console.log(`  ${k.padEnd(30)} ${String(v.n).padStart(5)} ${(v.s * 1000).toFixed(1).padStart(8)}`);
console.log(
  `  on the other CPU(s) at the time: ${[...blameOther.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}`,
);
