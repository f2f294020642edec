/**
 * NetBox sync benchmark against the strict double: N guests (default 10,000; each one NIC with a
 * MAC, one IPv4, one IPv6), a first sync, then an unchanged cycle (which must send 0 writes), then
 * a cycle with 1% of the guests changed. Prints requests by kind and wall time per phase.
 *   bun scripts/bench/netbox.ts [guests]
 */
import { silentLogger } from "../../src/log/logger.ts";
import { createNetboxProvider } from "../../src/providers/ipam/netbox/index.ts";
import { deriveIpam } from "../../src/state/ipam-derive.ts";
import { planIpam } from "../../src/state/ipam-plan.ts";
import { ipamChangeCount } from "../../src/state/ipam-types.ts";
import type { Guest, Inventory } from "../../src/state/model.ts";
import { createNetboxDouble } from "../../src/testing/netbox-double/index.ts";

const n = Number(process.argv[2] ?? 10_000);
const t0 = performance.now();
const nb = await createNetboxDouble();
const startMs = performance.now() - t0;
const signal = new AbortController().signal;
const provider = createNetboxProvider({
  url: nb.url,
  token: nb.token,
  clusterName: "bench",
  logger: silentLogger,
  timeoutMs: 120_000,
});

function guests(round: number): Guest[] {
  return Array.from({ length: n }, (_, i) => {
    const vmid = 1000 + i;
    const changed = round > 0 && i % 100 === 0;
    const a = Math.floor(i / 250);
    const b = (i % 250) + 2;
    return {
      cluster: "pve",
      node: `node${i % 16}`,
      vmid,
      type: "qemu" as const,
      name: changed ? `guest-${vmid}-r${round}` : `guest-${vmid}`,
      status: changed ? "stopped" : "running",
      template: false,
      tags: [],
      nics: [
        {
          name: "eth0",
          mac: `52:54:00:${(vmid >> 16).toString(16).padStart(2, "0")}:${((vmid >> 8) & 255).toString(16).padStart(2, "0")}:${(vmid & 255).toString(16).padStart(2, "0")}`,
          addresses: [
            {
              ip: `10.${changed ? 200 : 100}.${a}.${b}`,
              family: 4 as const,
              prefix: 16,
              source: "agent" as const,
            },
            {
              ip: `2001:db8::${vmid.toString(16)}`,
              family: 6 as const,
              prefix: 64,
              source: "agent" as const,
            },
          ],
        },
      ],
    };
  });
}

async function phase(label: string, gs: Guest[]) {
  nb.resetCounters();
  const t = performance.now();
  const inv: Inventory = { collectedAt: 0, guests: gs, complete: true, errors: [] };
  const desired = deriveIpam(inv, { clusterName: "bench" });
  const tr = performance.now();
  const current = await provider.read(signal, desired);
  const readMs = performance.now() - tr;
  const tp = performance.now();
  const changes = planIpam(desired, current, { tag: "pipam", adopt: false, policy: "sync" });
  const planMs = performance.now() - tp;
  const ta = performance.now();
  const result = await provider.apply(changes, signal);
  const applyMs = performance.now() - ta;
  const total = performance.now() - t;
  const byKind = [...nb.counts.entries()].sort();
  const requests = byKind.reduce((s, [, c]) => s + c, 0);
  console.log(`\n== ${label}: ${gs.length} guests`);
  console.log(
    `wall ${total.toFixed(0)} ms (read ${readMs.toFixed(0)}, plan ${planMs.toFixed(0)}, apply ${applyMs.toFixed(0)}); ` +
      `changes ${ipamChangeCount(changes)}, applied ${result.applied}, failed ${result.failed.length}, ` +
      `requests ${requests}, writes ${result.writes}, rejected by the double ${nb.rejected.length}`,
  );
  for (const [k, c] of byKind) console.log(`  ${String(c).padStart(5)}  ${k}`);
  if (nb.rejected.length > 0) console.log("first rejection:", JSON.stringify(nb.rejected[0]).slice(0, 500));
  if (result.failed.length > 0) console.log("first failure:", JSON.stringify(result.failed[0]).slice(0, 500));
  return { total, writes: result.writes, failed: result.failed.length, rejected: nb.rejected.length };
}

console.log(`netbox double started in ${startMs.toFixed(0)} ms (schema load + compile)`);
const first = await phase("first sync", guests(0));
const same = await phase("unchanged cycle", guests(0));
const some = await phase("1% changed (rename + stop + new IPv4)", guests(1));
console.log(
  `\nsummary: first ${first.total.toFixed(0)} ms / ${first.writes} writes; unchanged ${same.total.toFixed(0)} ms / ${same.writes} writes ` +
    `(ratio ${(same.total / first.total).toFixed(3)}); 1% changed ${some.total.toFixed(0)} ms / ${some.writes} writes`,
);
await nb.stop();
const bad = first.failed + first.rejected + same.writes + same.rejected + some.failed + some.rejected;
if (bad > 0) {
  console.error("FAIL: unchanged cycle wrote, or something was rejected/failed");
  process.exit(1);
}
