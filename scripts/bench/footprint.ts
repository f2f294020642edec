/**
 * Footprint of the compiled binary (dist/pipam, built by scripts/build.sh when missing):
 *   - binary size;
 *   - start-to-ready: spawn `dist/pipam -c <config> run` against the simulator (small inventory)
 *     and real PowerDNS, poll `GET /readyz` on `[server] listen` every 5 ms until 200 (ready means
 *     the first cycle finished without errors); R runs, the first one a first sync;
 *   - idle RSS: VmRSS from /proc/<pid>/status 5 s after ready (collect_interval 30s);
 *   - RSS at N guests (default 10,000): a fresh start against N guests, ready, two more cycles
 *     (collect_interval 5s), then VmRSS and VmHWM (peak).
 *   bun scripts/bench/footprint.ts [--runs 5] [--small 100] [--big 10000]
 * Last line: `BENCH_RESULT {...}` for run-all.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { demoScenario } from "../../src/sim/index.ts";
import { spawnPipam, startPipamEnv, waitReady } from "./pipam-env.ts";
import {
  emitResult,
  ensureBinary,
  freePort,
  installCleanup,
  median,
  r2,
  rssMiB,
  stopAll,
} from "./run-support.ts";

const { values: a } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    small: { type: "string", default: "100" },
    big: { type: "string", default: "10000" },
  },
});
const RUNS = Number(a.runs);
const SMALL = Number(a.small);
const BIG = Number(a.big);

installCleanup(stopAll);
const bin = await ensureBinary();
const sizeMiB = statSync(bin).size / 1048576;
console.log(`footprint: ${bin} ${sizeMiB.toFixed(1)} MiB`);
const started = performance.now();

const env = await startPipamEnv({ guests: SMALL, latencyMs: 0 });
try {
  // start-to-ready and idle RSS, small inventory
  const readyMs: number[] = [];
  let idleRss = Number.NaN;
  for (let r = 0; r < RUNS; r++) {
    const listen = `127.0.0.1:${await freePort()}`;
    const cfg = env.config(`footprint-${r}.toml`, { interval: "30s", listen });
    const t0 = performance.now();
    const p = spawnPipam(cfg);
    try {
      if (!(await waitReady(listen, 60_000, 5))) throw new Error(`not ready within 60 s (log ${cfg}.log)`);
      readyMs.push(performance.now() - t0);
      if (r === RUNS - 1) {
        await Bun.sleep(5000);
        idleRss = rssMiB(p.pid).rss;
      }
    } finally {
      await p.stop();
    }
    console.log(`start-to-ready run ${r + 1}${r === 0 ? " (first sync)" : ""}: ${readyMs[r]!.toFixed(0)} ms`);
  }
  console.log(`idle RSS (${SMALL} guests, 5 s after ready): ${idleRss.toFixed(1)} MiB`);

  // RSS at BIG guests
  env.sim.setScenario(demoScenario({ guests: BIG, allHealthy: true, seed: 7 }));
  const listen = `127.0.0.1:${await freePort()}`;
  const cfg = env.config("footprint-big.toml", { interval: "5s", listen });
  const t0 = performance.now();
  const p = spawnPipam(cfg);
  let big: { ready_ms: number; rss_mib: number; hwm_mib: number } | undefined;
  try {
    if (!(await waitReady(listen, 240_000, 50))) throw new Error(`not ready at ${BIG} guests within 240 s`);
    const ready = performance.now() - t0;
    await Bun.sleep(10_500);
    const m = rssMiB(p.pid);
    big = { ready_ms: Math.round(ready), rss_mib: r2(m.rss), hwm_mib: r2(m.hwm) };
    console.log(
      `${BIG} guests: ready (first sync done) after ${big.ready_ms} ms; RSS after two more cycles ${big.rss_mib} MiB, peak (VmHWM) ${big.hwm_mib} MiB`,
    );
  } finally {
    await p.stop();
  }
  console.log(`footprint benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  emitResult({
    bench: "footprint",
    binary_mib: r2(sizeMiB),
    start_to_ready_ms: {
      first: Math.round(readyMs[0]!),
      median: Math.round(median(readyMs)),
      runs: readyMs.map(Math.round),
    },
    small_guests: SMALL,
    idle_rss_mib: r2(idleRss),
    big_guests: BIG,
    big,
  });
} finally {
  await stopAll();
  await env.stop();
}
