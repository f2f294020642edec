/**
 * Connect services as fetch handlers (path → handler) for the one Bun.serve port of src/server.
 * Connect and gRPC-web over HTTP/1.1 and h2c; native gRPC needs trailers, which Bun.serve lacks.
 */
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";

export type RpcHandler = (req: Request) => Promise<Response>;

export function rpcHandlers(routes: (router: ConnectRouter) => void): Map<string, RpcHandler> {
  const router = createConnectRouter({ readMaxBytes: 256 * 1024 * 1024 });
  routes(router);
  return new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h)] as const));
}
