/**
 * DNS sync benchmark against a real PowerDNS (gsqlite3, started by scripts/pdns.sh).
 *
 *   bun scripts/bench/dns.ts [--guests 10000] [--runs 3] [--max-body BYTES]
 *
 * N guests (every guest one IPv4, every other guest also one IPv6; PTR on) → desired rrsets with
 * src/state's deriveDns, then, in the same run and on the same server, alternating on fresh zones:
 *   raw    one hand-built PATCH per zone with the same rrsets (and the same comments);
 *   pipam  a first sync: records() + plan() + apply() of a freshly created provider.
 * Collection (building the inventory) and derive are timed apart. Then an unchanged cycle (must send
 * 0 write requests) and a 1% churn cycle (new IPv4 for 1% of guests). The server accepts 64 MiB
 * bodies so the raw baseline really is one PATCH per zone; pipam keeps its default (< 2 MiB) split.
 */
import { silentLogger } from "../../src/log/logger.ts";
import { createPowerDnsProvider, OWNER_COMMENT } from "../../src/providers/dns/powerdns/index.ts";
import { type DnsRules, deriveDns } from "../../src/state/derive-dns.ts";
import type { Guest, Inventory, RRset } from "../../src/state/model.ts";
import { plan } from "../../src/state/plan.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} wants a positive integer`);
  return v;
}
const GUESTS = arg("guests", 10_000);
const RUNS = arg("runs", 3);
/** pipam's PATCH size limit; default: the provider's own (under PowerDNS's 2 MiB). */
const MAX_BODY = process.argv.includes("--max-body") ? arg("max-body", 1) : undefined;
if (GUESTS > 30_000)
  throw new Error("--guests: at most 30000 (the address plan, churn included, is one /16)");

const ZONE = "bench.example.";
const REV4 = "20.10.in-addr.arpa.";
const REV6 = "0.2.0.0.8.b.d.0.1.0.0.2.ip6.arpa."; // 2001:db8:20::/48
const ZONES = [ZONE, REV4, REV6];
const OWNER = "pipam-bench";
const rules: DnsRules = {
  zones: [{ zone: ZONE, networks: ["10.20.0.0/16", "2001:db8:20::/48"] }],
  skipCidrs: [],
  ttl: 300,
  ptr: true,
  reverseZones: [REV4, REV6],
  ignoreInterfaces: [],
  tags: { ignore: "pipam-ignore" },
};

const ipv4 = (i: number, third = 0) => `10.20.${third + Math.floor(i / 250)}.${(i % 250) + 1}`;
function inventory(churned: ReadonlySet<number> = new Set()): Inventory {
  const guests: Guest[] = [];
  for (let i = 0; i < GUESTS; i++) {
    const addresses: Guest["nics"][number]["addresses"] = [
      {
        ip: churned.has(i) ? ipv4(i, 250 - Math.ceil(GUESTS / 250)) : ipv4(i),
        family: 4,
        prefix: 16,
        source: "agent",
      },
    ];
    if (i % 2 === 0)
      addresses.push({ ip: `2001:db8:20::${(i + 1).toString(16)}`, family: 6, prefix: 64, source: "agent" });
    guests.push({
      cluster: "bench",
      node: `pve${i % 4}`,
      vmid: 100 + i,
      type: i % 3 === 0 ? "lxc" : "qemu",
      name: `vm${i}`,
      status: "running",
      template: false,
      tags: [],
      nics: [{ name: "eth0", addresses }],
    });
  }
  return { collectedAt: 0, guests, complete: true, errors: [] };
}

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

let writeRequests = 0;
const countingFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  if ((init?.method ?? "GET") !== "GET") writeRequests++;
  return fetch(input, init);
}) as typeof fetch;

async function freshZones(pdns: TestPdns) {
  for (const z of ZONES) await pdns.deleteZone(z);
  for (const z of ZONES) await pdns.createZone(z);
}

/** The raw baseline: one PATCH per zone, built from the rrsets, sent sequentially. */
async function raw(pdns: TestPdns, desired: RRset[]): Promise<number> {
  const t0 = performance.now();
  const byZone = new Map<string, object[]>();
  for (const rr of desired) {
    const list = byZone.get(rr.zone) ?? [];
    list.push({
      name: rr.name,
      type: rr.type,
      ttl: rr.ttl,
      changetype: "REPLACE",
      records: rr.records.map((content) => ({ content, disabled: false })),
      comments: [{ content: OWNER_COMMENT, account: OWNER }],
    });
    byZone.set(rr.zone, list);
  }
  for (const [zone, rrsets] of byZone) {
    const res = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${encodeURIComponent(zone)}`, {
      method: "PATCH",
      headers: { "X-API-Key": pdns.apiKey, "Content-Type": "application/json" },
      body: JSON.stringify({ rrsets }),
    });
    if (res.status !== 204) throw new Error(`raw PATCH ${zone}: HTTP ${res.status} ${await res.text()}`);
  }
  return ms(t0);
}

function provider(pdns: TestPdns) {
  return createPowerDnsProvider({
    url: pdns.url,
    apiKey: pdns.apiKey,
    ownerId: OWNER,
    zones: [ZONE],
    reverseZones: [REV4, REV6],
    logger: silentLogger,
    fetch: countingFetch,
    ...(MAX_BODY ? { maxBodyBytes: MAX_BODY } : {}),
  });
}

/** One pipam cycle: read, plan, apply. */
async function cycle(pdns: TestPdns, desired: RRset[]) {
  const p = provider(pdns);
  const w0 = writeRequests;
  const t0 = performance.now();
  const current = await p.records(AbortSignal.timeout(120_000));
  const tRead = ms(t0);
  const t1 = performance.now();
  const { changes } = plan(desired, current, OWNER);
  const tPlan = ms(t1);
  const t2 = performance.now();
  const res = await p.apply(changes, AbortSignal.timeout(120_000));
  const tApply = ms(t2);
  const total = ms(t0);
  if (res.failed.length > 0) throw new Error(`apply failed: ${JSON.stringify(res.failed.slice(0, 3))}`);
  const n = changes.create.length + changes.updateNew.length + changes.delete.length;
  return {
    total,
    read: tRead,
    plan: tPlan,
    apply: tApply,
    changes: n,
    applied: res.applied,
    writes: writeRequests - w0,
  };
}

const pdns = await startPdns({ extraConf: "webserver-max-bodysize=64" });
try {
  console.log(
    `dns bench: ${GUESTS} guests, ${RUNS} runs, PowerDNS ${pdns.url} (load ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")})`,
  );
  let t0 = performance.now();
  const inv = inventory();
  const tCollect = ms(t0);
  t0 = performance.now();
  const derived = deriveDns(inv, rules);
  const tDerive = ms(t0);
  const desired = derived.rrsets;
  const count = (z: string) => desired.filter((r) => r.zone === z).length;
  console.log(
    `desired: ${desired.length} rrsets (${count(ZONE)} in ${ZONE}, ${count(REV4)} in ${REV4}, ${count(REV6)} in ${REV6}); ` +
      `inventory built in ${tCollect.toFixed(0)} ms, deriveDns ${tDerive.toFixed(0)} ms (not in the sync times)`,
  );
  if (derived.skipped.length > 0 || derived.conflicts.length > 0) {
    throw new Error(`derive skipped ${derived.skipped.length}, conflicts ${derived.conflicts.length}`);
  }

  const raws: number[] = [];
  const syncs: Awaited<ReturnType<typeof cycle>>[] = [];
  for (let run = 0; run < RUNS; run++) {
    await freshZones(pdns);
    raws.push(await raw(pdns, desired));
    await freshZones(pdns);
    const s = await cycle(pdns, desired);
    syncs.push(s);
    console.log(
      `run ${run + 1}: raw ${fmt(raws[run]!)} | pipam first sync ${fmt(s.total)} (read ${s.read.toFixed(0)} ms, plan ${s.plan.toFixed(0)} ms, apply ${s.apply.toFixed(0)} ms, ` +
        `${s.writes} PATCHes, ${s.applied} rrsets) | ratio ${(s.total / raws[run]!).toFixed(2)}x`,
    );
  }
  const stored = await provider(pdns).records(AbortSignal.timeout(60_000));
  if (stored.length !== desired.length)
    throw new Error(`stored ${stored.length} rrsets, wanted ${desired.length}`);

  const unchanged = await cycle(pdns, desired);
  const churned = new Set(Array.from({ length: Math.max(1, Math.round(GUESTS / 100)) }, (_, k) => k * 100));
  t0 = performance.now();
  const desired2 = deriveDns(inventory(churned), rules).rrsets;
  const tDerive2 = ms(t0);
  const churn = await cycle(pdns, desired2);
  const probe = [...churned][0]!;
  const dig = await pdns.dig(`vm${probe}.${ZONE}`, "A");
  if (dig[0] !== ipv4(probe, 250 - Math.ceil(GUESTS / 250)))
    throw new Error(`dig after churn: ${dig.join(",")}`);

  const rawMed = median(raws);
  const syncMed = median(syncs.map((s) => s.total));
  console.log("");
  const ratioMed = median(syncs.map((s, i) => s.total / raws[i]!));
  const ratioMin = Math.min(...syncs.map((s) => s.total)) / Math.min(...raws);
  const applyRatio = median(syncs.map((s, i) => s.apply / raws[i]!));
  console.log(
    `first sync (median of ${RUNS}): pipam ${syncMed.toFixed(0)} ms vs raw single PATCH per zone ${rawMed.toFixed(0)} ms = ` +
      `${(syncMed / rawMed).toFixed(2)}x; median of per-run ratios ${ratioMed.toFixed(2)}x; best/best ${ratioMin.toFixed(2)}x (target <= 1.3x)`,
  );
  console.log(`apply() alone (no read, no plan): median of per-run ratios ${applyRatio.toFixed(2)}x raw`);
  console.log(
    `unchanged cycle: ${unchanged.total.toFixed(0)} ms (read ${unchanged.read.toFixed(0)} ms, plan ${unchanged.plan.toFixed(0)} ms), ${unchanged.changes} changes, ${unchanged.writes} write requests (must be 0)`,
  );
  console.log(
    `1% churn (${churned.size} guests): ${churn.total.toFixed(0)} ms (read ${churn.read.toFixed(0)} ms, plan ${churn.plan.toFixed(0)} ms), ${churn.changes} changes, ${churn.writes} write requests; derive ${tDerive2.toFixed(0)} ms apart`,
  );
  console.log(
    JSON.stringify({
      guests: GUESTS,
      rrsets: desired.length,
      raw_ms: raws.map(Math.round),
      sync_ms: syncs.map((s) => Math.round(s.total)),
      ratio: Number((syncMed / rawMed).toFixed(3)),
      ratio_per_run_median: Number(ratioMed.toFixed(3)),
      ratio_best: Number(ratioMin.toFixed(3)),
      apply_only_ratio: Number(applyRatio.toFixed(3)),
      unchanged_writes: unchanged.writes,
      unchanged_ms: Math.round(unchanged.total),
      churn_changes: churn.changes,
      churn_writes: churn.writes,
      churn_ms: Math.round(churn.total),
    }),
  );
  if (unchanged.writes !== 0) process.exitCode = 1;
} finally {
  await pdns.stop();
}
