/**
 * Optional native gRPC listener ([server] grpc_listen): h2c on node:http2 with connect-node's
 * adapter, serving the same routes as the main port. Bun.serve cannot send HTTP trailers, which
 * gRPC needs, so this is a second port (slower than Bun.serve, meant for grpcurl and tools).
 */
import http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PipamError } from "../../lib/errors.ts";

export interface GrpcServer {
  url: string;
  stop(): Promise<void>;
}

export async function startGrpcServer(
  listen: string,
  routes: (r: ConnectRouter) => void,
): Promise<GrpcServer> {
  const m = /^(?:\[(.+)\]|(.+)):(\d{1,5})$/.exec(listen);
  if (!m) throw new PipamError("config", `server.grpc_listen "${listen}" must be host:port`);
  const host = m[1] ?? m[2] ?? "127.0.0.1";
  const server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new PipamError("unavailable", `server.grpc_listen ${listen}: cannot listen: ${err.message}`)),
    );
    server.listen(Number(m[3]), host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : Number(m[3]);
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
