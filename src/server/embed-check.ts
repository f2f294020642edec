/**
 * @module A tiny entry point for the compiled-binary test (embed.test.ts): serves a demo status
 * page on 127.0.0.1 (port 0 or argv[2]) and prints one JSON line { url, embedded }, then runs
 * until SIGTERM/SIGINT. Not part of the pipam binary.
 */
import { silentLogger } from "../log/logger.ts";
import { createDemoStatusSource } from "./demo-status.ts";
import { createMetrics } from "./metrics.ts";
import { createServer } from "./server.ts";

const server = createServer({
  listen: `127.0.0.1:${process.argv[2] ?? "0"}`,
  status: createDemoStatusSource({ guests: 150, now: Date.now() }),
  ready: () => [{ name: "config", ok: true, detail: "loaded" }],
  metrics: createMetrics(),
  logger: silentLogger,
});
const embedded = Bun.embeddedFiles.map((f) => (f as Blob & { name?: string }).name ?? "");
process.stdout.write(`${JSON.stringify({ url: server.url, embedded })}\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
