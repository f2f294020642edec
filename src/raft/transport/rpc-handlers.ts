/**
 * Connect services as fetch handlers (path → handler) for the one Bun.serve port of src/server.
 * Connect and gRPC-web over HTTP/1.1 and h2c; native gRPC needs trailers, which Bun.serve lacks.
 *
 * Unary methods (all of ours) skip connect's generic fetch adapter, which pipes request and
 * response through WHATWG streams: the body is read with one native `arrayBuffer()` and the
 * answer is sent as one buffer. Same universal handler, same protocol checks and limits; in
 * Bun it costs about half the CPU per call (see scripts/bench/rpc.ts). Streaming methods keep
 * connect's adapter.
 */
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler, type UniversalHandler } from "@connectrpc/connect/protocol";

export type RpcHandler = (req: Request) => Promise<Response>;

/** A handler for the common case of one path; undefined = not handled, connect's handler runs. */
export type FastPath = (req: Request) => Promise<Response> | undefined;

export function rpcHandlers(
  routes: (router: ConnectRouter) => void,
  fast: ReadonlyMap<string, FastPath> = new Map(),
): Map<string, RpcHandler> {
  const router = createConnectRouter({ readMaxBytes: 256 * 1024 * 1024 });
  routes(router);
  return new Map(
    router.handlers.map((h) => {
      const base = h.method.methodKind === "unary" ? unaryFetchHandler(h) : createFetchHandler(h);
      const f = fast.get(h.requestPath);
      return [h.requestPath, f ? (req: Request) => f(req) ?? base(req) : base] as const;
    }),
  );
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of body) {
    parts.push(p);
    n += p.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function unaryFetchHandler(h: UniversalHandler): RpcHandler {
  return async (req) => {
    const bytes = req.body ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array(0);
    const res = await h({
      httpVersion: "",
      method: req.method,
      url: req.url,
      header: req.headers,
      body: once(bytes),
      signal: req.signal,
    });
    const body = res.body === undefined ? null : await collect(res.body as AsyncIterable<Uint8Array>);
    return new Response(body as Uint8Array<ArrayBuffer> | null, { status: res.status, headers: res.header });
  };
}
