/**
 * The peer RPC in isolation: one RaftService.Step call (one 1 KiB append) from a connect-web
 * client to a Bun.serve server in another process, served three ways side by side:
 *   connect  — connect's own createFetchHandler (WHATWG streams in and out)
 *   unary    — pipam's stream-less adapter around the same connect handler (what JSON, gRPC-web
 *              and compressed calls get; src/raft/transport/rpc-handlers.ts)
 *   lean     — pipam's lean unary path (binary Connect calls: what peers and the CLI use)
 * Prints per-call wall time (p50/p99) and CPU per call of the server process, and ratios to
 * `connect`. Bounded: N calls per mode, each with a timeout.
 *   bun scripts/bench/rpc.ts [--calls 5000]
 * Last line: `BENCH_RESULT {...}`.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RaftService } from "../../src/gen/pipam/v1/raft_pb.ts";
import type { Message } from "../../src/raft/core/index.ts";
import { bearerInterceptor } from "../../src/raft/transport/auth.ts";
import { toPb } from "../../src/raft/transport/codec.ts";
import { raftServiceImpl } from "../../src/raft/transport/peer-service.ts";
import { rpcHandlers } from "../../src/raft/transport/rpc-handlers.ts";
import { emitResult, pct, r2 } from "./run-support.ts";

const SECRET = "bench-secret";
const { values: a } = parseArgs({
  options: {
    calls: { type: "string", default: "5000" },
    serve: { type: "string" },
  },
});

type Mode = "connect" | "unary" | "lean";

if (a.serve) {
  // Server process: answer Step calls; stdout gets the URL, stdin closing ends it.
  const mode = a.serve as Mode;
  const impl = raftServiceImpl(() => {}, SECRET);
  let handlers: Map<string, (req: Request) => Promise<Response>>;
  if (mode === "connect") {
    const { createConnectRouter } = await import("@connectrpc/connect");
    const router = createConnectRouter();
    router.service(RaftService, impl);
    handlers = new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h)]));
  } else {
    handlers = rpcHandlers((r) => r.service(RaftService, impl), { lean: mode === "lean" });
  }
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: (req) => {
      const u = req.url;
      const h = handlers.get(u.slice(u.indexOf("/", 8)));
      return h ? h(req) : new Response(null, { status: 404 });
    },
  });
  console.log(`http://127.0.0.1:${server.port}`);
  await Bun.stdin.text(); // until the parent closes stdin
  server.stop(true);
  process.exit(0);
}

const CALLS = Number(a.calls);
const msg: Message = {
  type: "app",
  from: 1,
  to: 2,
  term: 3,
  logTerm: 3,
  index: 10,
  commit: 9,
  reject: false,
  rejectHint: 0,
  entries: [{ index: 11, term: 3, type: "normal", data: crypto.getRandomValues(new Uint8Array(1025)) }],
};

function cpuOf(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000; // µs (100 Hz ticks)
}

async function measure(mode: Mode) {
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve", mode], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const reader = child.stdout.getReader();
    const first = await reader.read();
    const url = new TextDecoder().decode(first.value).trim();
    const client = createClient(
      RaftService,
      createConnectTransport({
        baseUrl: url,
        useBinaryFormat: true,
        interceptors: [bearerInterceptor(SECRET)],
      }),
    );
    const req = { messages: [toPb(msg)], replyInline: true };
    for (let i = 0; i < Math.min(1000, CALLS); i++) await client.step(req, { timeoutMs: 5000 });
    const lats: number[] = [];
    const cpu0 = cpuOf(child.pid);
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await client.step(req, { timeoutMs: 5000 });
      lats.push(performance.now() - t);
    }
    const wall = performance.now() - t0;
    const serverCpu = (cpuOf(child.pid) - cpu0) / CALLS;
    return {
      mode,
      calls: CALLS,
      per_s: r2((CALLS * 1000) / wall),
      p50_ms: Number(pct(lats, 0.5).toFixed(3)),
      p99_ms: Number(pct(lats, 0.99).toFixed(3)),
      server_cpu_us_per_call: Math.round(serverCpu),
    };
  } finally {
    child.stdin.end();
    child.kill();
    await child.exited;
  }
}

const results = [];
for (const mode of ["connect", "unary", "lean"] as const) results.push(await measure(mode));
const base = results[0]!;
for (const r of results) {
  console.log(
    `${r.mode.padEnd(8)} ${r.per_s}/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, server CPU ${r.server_cpu_us_per_call} µs/call` +
      (r === base
        ? ""
        : ` — vs connect: CPU ${r2(r.server_cpu_us_per_call / base.server_cpu_us_per_call)}×, p99 ${r2(r.p99_ms / base.p99_ms)}×`),
  );
}
emitResult({ bench: "rpc", results });
