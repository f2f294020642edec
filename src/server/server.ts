/**
 * @module Runs the fetch handler on one `Bun.serve({ http2: true, idleTimeout: 0 })` port
 * (HTTP/1.1 and h2c): Connect RPC, the status page and the ops endpoints.
 */
import { PipamError } from "../lib/errors.ts";
import { createFetchHandler, type FetchHandlerOptions } from "./handler.ts";
import { DEFAULT_LISTEN, parseListen } from "./listen.ts";

export interface ServerOptions extends FetchHandlerOptions {
  /** "host:port" (default 127.0.0.1:9180); port 0 picks a free port. */
  listen?: string;
}

export interface RunningServer {
  /** Base URL, e.g. "http://127.0.0.1:9180" (IPv6 hosts in brackets). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function createServer(opts: ServerOptions): RunningServer {
  const listen = opts.listen ?? DEFAULT_LISTEN;
  const parsed = parseListen(listen);
  if (!parsed.addr) throw new PipamError("config", parsed.error ?? "bad server.listen");
  const { hostname, port } = parsed.addr;
  const fetch = createFetchHandler(opts);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname, port, http2: true, idleTimeout: 0, fetch } as Parameters<
      typeof Bun.serve
    >[0]);
  } catch (err) {
    throw new PipamError(
      "unavailable",
      `server.listen ${listen}: cannot listen: ${err instanceof Error ? err.message : err}`,
      {
        cause: err,
      },
    );
  }
  const actualPort = server.port ?? port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${host}:${actualPort}`;
  opts.logger.info("http server listening", { url });
  return {
    url,
    port: actualPort,
    stop: async () => {
      await server.stop(true);
    },
  };
}
