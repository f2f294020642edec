/**
 * Collection benchmark (not a test): the Proxmox simulator in its own process with N guests on
 * 3 nodes and 5 ms per per-guest call, then two collection cycles: the first (everything is new)
 * and an unchanged second one. Prints wall time, Proxmox calls, peak RSS, the ideal
 * (calls ÷ total concurrency × latency) and the ratio to it.
 *   bun scripts/bench/collect.ts [--guests 10000] [--nodes 3] [--concurrency 4 (the config default)] [--latency 5]
 * Targets: first cycle ≤ 1.2× ideal; unchanged cycle ≤ 100 ms with one list call.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createProxmoxSource } from "../../src/collect/index.ts";
import { createLogger } from "../../src/log/logger.ts";

const { values: a } = parseArgs({
  options: {
    guests: { type: "string", default: "10000" },
    nodes: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4" },
    latency: { type: "string", default: "5" },
    timeout: { type: "string", default: "30000" },
  },
});
const guests = Number(a.guests);
const nodes = Number(a.nodes);
const perNode = Number(a.concurrency);
const latency = Number(a.latency);

const simProc = Bun.spawn(
  [
    "bun",
    resolve(import.meta.dir, "../sim.ts"),
    "--json",
    "--port",
    "0",
    "--healthy",
    "--guests",
    String(guests),
    "--nodes",
    String(nodes),
    "--latency",
    String(latency),
  ],
  { stdout: "pipe", stderr: "inherit" },
);
const reader = simProc.stdout.getReader();
let buf = "";
while (!buf.includes("\n")) {
  const { done, value } = await reader.read();
  if (done) throw new Error("simulator exited before it was ready");
  buf += new TextDecoder().decode(value);
}
const sim = JSON.parse(buf.slice(0, buf.indexOf("\n"))) as {
  url: string;
  tokenId: string;
  secret: string;
  fingerprint: string;
};

interface CycleLog {
  calls: number;
  queried: number;
  errors: number;
}
let last: CycleLog = { calls: 0, queried: 0, errors: 0 };
const logger = createLogger({
  level: "info",
  format: "json",
  write: (line) => {
    const j = JSON.parse(line) as { msg: string } & CycleLog;
    if (j.msg === "collected") last = { calls: j.calls, queried: j.queried, errors: j.errors };
  },
});
const source = createProxmoxSource(
  [
    {
      name: "bench",
      url: sim.url,
      tokenId: sim.tokenId,
      secret: sim.secret,
      insecure: false,
      fingerprint: sim.fingerprint,
      timeoutMs: Number(a.timeout),
      concurrencyPerNode: perNode,
    },
  ],
  { logger },
);

/** CPU time of the simulator process (Linux /proc), ms. */
async function simCpuMs(): Promise<number> {
  try {
    const stat = await Bun.file(`/proc/${simProc.pid}/stat`).text();
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

async function cycle(label: string) {
  // The daemon waits collect_interval (30 s) between cycles; let this process settle the same way.
  Bun.gc(true);
  await Bun.sleep(200);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const cpu0 = process.cpuUsage();
  const simCpu0 = await simCpuMs();
  const t0 = performance.now();
  const inv = await source.collect(new AbortController().signal);
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const simCpu = (await simCpuMs()) - simCpu0;
  peak = Math.max(peak, process.memoryUsage().rss);
  const concurrency = nodes * perNode;
  const ideal = (last.calls / concurrency) * latency;
  const ratio = ideal > 0 ? ms / ideal : Number.NaN;
  console.log(
    `${label.padEnd(10)} wall ${ms.toFixed(0).padStart(7)} ms  calls ${String(last.calls).padStart(6)}  queried ${String(last.queried).padStart(6)}  guests ${inv.guests.length}  errors ${last.errors}  complete ${inv.complete}  peak RSS ${(peak / 1048576).toFixed(0)} MiB  ideal ${ideal.toFixed(0)} ms  ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : "-"}  cpu: collector ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, simulator ${simCpu.toFixed(0)} ms`,
  );
  return { ms, calls: last.calls, ratio };
}

console.log(
  `collect benchmark: ${guests} guests, ${nodes} nodes, ${perNode} calls in flight per node (total ${nodes * perNode}), ${latency} ms per per-guest call; simulator in its own process`,
);
/** The floor of this machine right now: bare fetches at the same concurrency, no collector. */
async function floor(n: number): Promise<number> {
  const headers = { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.secret}` };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: nodes * perNode }, async () => {
      while (next < n) {
        next++;
        const r = await fetch(`${sim.url}/api2/json/nodes/pve1/qemu/100/config`, {
          headers,
          tls: { rejectUnauthorized: false },
        } as RequestInit);
        await r.arrayBuffer();
      }
    }),
  );
  return (performance.now() - t0) / ((n / (nodes * perNode)) * latency);
}

try {
  const floorRatio = latency > 0 ? await floor(Math.min(2000, guests * 2)) : Number.NaN;
  console.log(
    `floor      bare fetch loop at the same concurrency: ratio ${floorRatio.toFixed(2)} (timer + HTTP overhead of this machine now; load ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")})`,
  );
  const first = await cycle("first");
  const second = await cycle("unchanged");
  if (latency > 0) {
    const after = await floor(Math.min(2000, guests * 2));
    console.log(
      `floor      again after the cycles: ratio ${after.toFixed(2)} (load ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")})`,
    );
  }
  const okFirst = first.ratio <= 1.2;
  const okSecond = second.ms <= 100 && second.calls === 1;
  console.log(
    `targets: first ≤ 1.2× ideal: ${okFirst ? "met" : "MISSED"} (${first.ratio.toFixed(2)}×); unchanged ≤ 100 ms with 1 call: ${okSecond ? "met" : "MISSED"} (${second.ms.toFixed(0)} ms, ${second.calls} call)`,
  );
} finally {
  simProc.kill();
  await simProc.exited;
}
