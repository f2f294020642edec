/**
 * Status page benchmark: 10,000 guests. Prints server time (p50/p95 over N requests, in-process
 * through the fetch handler and over HTTP on loopback) and response size for the first page, a
 * filtered page, a deep page, and the live-refresh fragments.
 *   bun scripts/bench/web.ts [guests=10000] [iterations=50]
 */
import { silentLogger } from "../../src/log/logger.ts";
import { createDemoStatusSource } from "../../src/server/demo-status.ts";
import { createFetchHandler } from "../../src/server/handler.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createServer } from "../../src/server/server.ts";

const guests = Number(process.argv[2] ?? 10_000);
const iterations = Number(process.argv[3] ?? 50);
const status = createDemoStatusSource({ guests, mode: "cluster", now: Date.now() });
const opts = {
  status,
  ready: () => [{ name: "config", ok: true, detail: "loaded" }],
  metrics: createMetrics(),
  logger: silentLogger,
};
const handler = createFetchHandler(opts);
const server = createServer({ ...opts, listen: "127.0.0.1:0" });

const cases: [string, string][] = [
  ["first page", "/"],
  ["filtered page (q=web1)", "/?q=web1"],
  ["filtered by state (failed)", "/?state=failed"],
  ["deep page (50)", "/?page=50"],
  ["fragment: guests (refresh)", "/fragment/guests"],
  ["fragment: guests q=10.0.3", "/fragment/guests?q=10.0.3"],
  ["fragment: overview (refresh)", "/fragment/overview"],
];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function run(mode: "warm" | "cold") {
  console.log(
    `\n${mode === "warm" ? "warm: the same snapshot objects between requests (a source that reuses unchanged guests)" : "cold: every request sees 10,000 new GuestView objects (worst case)"}`,
  );
  console.log(
    "case".padEnd(30),
    "in-proc p50".padStart(12),
    "p95".padStart(8),
    "HTTP p50".padStart(10),
    "p95".padStart(8),
    "size".padStart(10),
    "gzip".padStart(9),
    "rows".padStart(5),
  );
  const base = status.snapshot().guests;
  for (const [name, path] of cases) {
    const local: number[] = [];
    const http: number[] = [];
    let size = 0;
    let gz = 0;
    let rows = 0;
    for (let i = 0; i < iterations; i++) {
      if (mode === "cold") status.update({ guests: base.map((g) => ({ ...g })) });
      let t = performance.now();
      const res = await handler(new Request(`http://bench${path}`));
      const body = await res.text();
      local.push(performance.now() - t);
      if (mode === "cold") status.update({ guests: base.map((g) => ({ ...g })) });
      t = performance.now();
      const r2 = await fetch(`${server.url}${path}`, {
        headers: { "accept-encoding": "gzip" },
        decompress: false,
      });
      const wire = await r2.arrayBuffer();
      http.push(performance.now() - t);
      size = body.length;
      gz = wire.byteLength;
      rows = (body.match(/<tr class="row-/g) ?? []).length;
    }
    console.log(
      name.padEnd(30),
      `${pct(local, 50).toFixed(1)} ms`.padStart(12),
      `${pct(local, 95).toFixed(1)}`.padStart(8),
      `${pct(http, 50).toFixed(1)} ms`.padStart(10),
      `${pct(http, 95).toFixed(1)}`.padStart(8),
      `${(size / 1024).toFixed(1)} KiB`.padStart(10),
      `${(gz / 1024).toFixed(1)} KiB`.padStart(9),
      String(rows).padStart(5),
    );
  }
  status.update({ guests: base });
}

console.log(`status page benchmark: ${guests} guests, ${iterations} requests per case`);
console.log(
  "in-proc = fetch handler called directly; HTTP = over loopback with gzip; size = HTML; gzip = bytes on the wire",
);
await run("warm");
await run("cold");
await server.stop();
