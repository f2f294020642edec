/**
 * Change-to-DNS latency: a guest appears in the Proxmox simulator → its A record answers on `dig`
 * against a real PowerDNS, with the COMPILED binary (`dist/pipam -c <config> run`).
 *
 * For each collect interval I (default 1s, 5s, 30s — 30s is pipam's default): pipam starts and is
 * ready (first cycle done), then T new guests appear at uniformly random moments of a window of
 * max(20 s, I), so they land at every phase of the collect cycle (guests appearing right after a
 * cycle would otherwise all read ≈ I). One `dig` process per 25 ms polls every guest still pending;
 * latency = appearance → the `dig` that returned the right address finished. PowerDNS caches are
 * off (pipam's latency is measured, not the cache TTL). Expected: ≈ U(0, I) + one cycle.
 *   bun scripts/bench/change-latency.ts [--intervals 1,5,30] [--trials 20] [--guests 100] [--latency 5]
 * Last line: `BENCH_RESULT {...}` for run-all.
 */
import { parseArgs } from "node:util";
import { seededRand } from "../../src/sim/index.ts";
import { type PipamEnv, spawnPipam, startPipamEnv, waitReady, ZONE } from "./pipam-env.ts";
import { digMany, emitResult, ensureBinary, freePort, installCleanup, pct, stopAll } from "./run-support.ts";

const { values: a } = parseArgs({
  options: {
    intervals: { type: "string", default: "1,5,30" },
    trials: { type: "string", default: "20" },
    guests: { type: "string", default: "100" },
    latency: { type: "string", default: "5" },
  },
});
const INTERVALS = a.intervals.split(",").map(Number);
const TRIALS = Number(a.trials);
if (INTERVALS.some((i) => !(i > 0)) || !(TRIALS > 0))
  throw new Error("--intervals: seconds > 0; --trials > 0");

interface IntervalResult {
  interval_s: number;
  trials: number;
  answered: number;
  p50_ms: number;
  p95_ms: number;
  min_ms: number;
  max_ms: number;
  samples_ms: number[];
}

async function measure(env: PipamEnv, intervalS: number, base: number): Promise<IntervalResult> {
  const listen = `127.0.0.1:${await freePort()}`;
  const cfg = env.config(`latency-${intervalS}s.toml`, { interval: `${intervalS}s`, listen });
  const pipam = spawnPipam(cfg);
  try {
    if (!(await waitReady(listen, 60_000, 50)))
      throw new Error(`pipam not ready within 60 s (log: ${cfg}.log)`);
    const rand = seededRand(1000 + intervalS);
    const windowMs = Math.max(20_000, intervalS * 1000);
    const at = Array.from({ length: TRIALS }, () => rand() * windowMs).sort((x, y) => x - y);
    const trials = at.map((offset, k) => ({
      offset,
      name: `chg-${intervalS}s-${k}`,
      fqdn: `chg-${intervalS}s-${k}.${ZONE.slice(0, -1)}`,
      ip: `10.200.${base}.${k + 1}`,
      vmid: 50_000 + base * 100 + k,
      added: Number.NaN,
      latency: Number.NaN,
    }));
    const t0 = performance.now();
    const deadline = t0 + windowMs + intervalS * 3000 + 15_000;
    let next = 0;
    while (performance.now() < deadline) {
      const now = performance.now();
      while (next < trials.length && now - t0 >= trials[next]!.offset) {
        const t = trials[next++]!;
        env.addGuest(t.vmid, t.name, t.ip);
        t.added = performance.now();
      }
      const pending = trials.filter((t) => !Number.isNaN(t.added) && Number.isNaN(t.latency));
      if (pending.length > 0) {
        const answers = await digMany(
          env.pdns.dnsPort,
          pending.map((t) => t.fqdn),
        );
        const done = performance.now();
        for (const t of pending) if (answers.get(t.fqdn)?.includes(t.ip)) t.latency = done - t.added;
      } else if (next >= trials.length) break;
      await Bun.sleep(25);
    }
    const lat = trials.filter((t) => !Number.isNaN(t.latency)).map((t) => t.latency);
    const res: IntervalResult = {
      interval_s: intervalS,
      trials: trials.length,
      answered: lat.length,
      p50_ms: Math.round(pct(lat, 0.5)),
      p95_ms: Math.round(pct(lat, 0.95)),
      min_ms: Math.round(Math.min(...lat)),
      max_ms: Math.round(Math.max(...lat)),
      samples_ms: lat.map(Math.round),
    };
    console.log(
      `interval ${intervalS}s: ${res.answered}/${res.trials} answered, p50 ${res.p50_ms} ms, p95 ${res.p95_ms} ms, min ${res.min_ms}, max ${res.max_ms} (expected ≈ U(0, ${intervalS * 1000}) ms + one cycle)`,
    );
    return res;
  } finally {
    await pipam.stop();
  }
}

installCleanup(stopAll);
await ensureBinary();
const started = performance.now();
const env = await startPipamEnv({
  guests: Number(a.guests),
  latencyMs: Number(a.latency),
  pdnsCaches: false,
});
try {
  console.log(
    `change-to-DNS latency: dist/pipam, simulator with ${a.guests} guests (${a.latency} ms per call), PowerDNS ${env.pdns.url} (caches off), ${TRIALS} trials per interval`,
  );
  const results: IntervalResult[] = [];
  for (const [i, s] of INTERVALS.entries()) results.push(await measure(env, s, i + 1));
  console.log(`change-latency benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  emitResult({
    bench: "change-latency",
    guests: Number(a.guests),
    sim_latency_ms: Number(a.latency),
    results,
  });
  if (results.some((r) => r.answered < r.trials)) process.exitCode = 1;
} finally {
  await stopAll();
  await env.stop();
}
