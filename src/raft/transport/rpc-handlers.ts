/**
 * Connect services as fetch handlers (path → handler) for the one Bun.serve port of src/server.
 * Connect and gRPC-web over HTTP/1.1 and h2c; native gRPC needs trailers, which Bun.serve lacks.
 *
 * connect's generic fetch adapter pipes every request and response through WHATWG streams and
 * builds a full handler context per call; in Bun that is most of an RPC's cost and the source of
 * its latency tail. So unary methods take a lean path in the common case — a binary Connect
 * call (POST, `application/proto`, uncompressed): the body is read with one `arrayBuffer()`,
 * decoded and encoded with the method's generated schemas, the registered implementation is
 * called with a HandlerContext, and the answer (or a Connect JSON error with the HTTP status of
 * its code) goes out as one buffer — the Connect protocol's unary wire format, as connect's own
 * handler writes it. Everything else (JSON, gRPC-web, GET, compression, streaming methods) goes
 * to connect's handler; unary ones through an adapter without streams. scripts/bench/rpc.ts
 * measures the three side by side.
 */
import {
  create,
  type DescMethod,
  type DescService,
  fromBinary,
  isMessage,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import {
  createFetchHandler,
  mergeNonProtocolHeaders,
  type UniversalHandler,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";

export type RpcHandler = (req: Request) => Promise<Response>;

const READ_MAX_BYTES = 256 * 1024 * 1024;

type AnyUnary = (req: unknown, ctx: HandlerContext) => unknown;

/** In `ctx.values`: true when the call came in on the lean path (tests and diagnostics). */
export const LEAN_PATH = createContextKey(false, { description: "served on pipam's lean unary path" });

export interface RpcHandlerOptions {
  /** Serve binary Connect unary calls on the lean path (default true; false: connect only). */
  lean?: boolean;
}

export function rpcHandlers(
  routes: (router: ConnectRouter) => void,
  opts: RpcHandlerOptions = {},
): Map<string, RpcHandler> {
  const router = createConnectRouter({ readMaxBytes: READ_MAX_BYTES });
  // The implementations as registered, for the lean path (by service type name).
  const impls = new Map<string, Record<string, unknown>>();
  const recording: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, impl, options) {
      impls.set(service.typeName, impl as Record<string, unknown>);
      router.service(service, impl, options);
      return recording;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, options);
      return recording;
    },
  };
  routes(recording);
  return new Map(
    router.handlers.map((h) => {
      if (h.method.methodKind !== "unary") return [h.requestPath, createFetchHandler(h)] as const;
      const base = unaryFetchHandler(h);
      const impl = impls.get(h.service.typeName);
      const fn = impl?.[h.method.localName];
      if (opts.lean === false || typeof fn !== "function") return [h.requestPath, base] as const;
      const lean = leanUnary(h.service, h.method, (fn as AnyUnary).bind(impl));
      return [h.requestPath, (req: Request) => lean(req) ?? base(req)] as const;
    }),
  );
}

const PROTO = "application/proto";

/**
 * A Connect unary error as connect's handler writes it: the headers and trailers the
 * implementation set before it threw, plus the error's own metadata (not for an error relayed
 * from the wire), then the JSON error body.
 */
function errorResponse(e: unknown, ctx?: HandlerContext): Response {
  const err =
    e instanceof ConnectError
      ? e
      : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
  const header = new Headers(ctx?.responseHeader);
  header.set("content-type", "application/json");
  if (!err.isWireError) mergeNonProtocolHeaders(header, err.metadata);
  return new Response(errorToJsonBytes(err, {}) as Uint8Array<ArrayBuffer>, {
    status: codeToHttpStatus(err.code),
    headers: ctx ? withTrailers(header, ctx.responseTrailer) : header,
  });
}

/** Connect's unary trailers: header fields prefixed "trailer-" (connect's trailerMux, in place). */
function withTrailers(header: Headers, trailer: Headers): Headers {
  for (const [key, value] of trailer) header.append(`trailer-${key}`, value);
  return header;
}

/** The lean path for one unary method; undefined when the request is not a plain binary Connect call. */
function leanUnary(service: DescService, method: DescMethod, fn: AnyUnary) {
  return (req: Request): Promise<Response> | undefined => {
    if (req.method !== "POST") return undefined;
    const h = req.headers;
    if (h.get("content-type") !== PROTO) return undefined;
    const enc = h.get("content-encoding");
    if (enc !== null && enc !== "identity") return undefined;
    const version = h.get("connect-protocol-version");
    if (version !== null && version !== "1") return undefined; // connect's handler says what is wrong
    return (async () => {
      let ctx: HandlerContext | undefined;
      try {
        if (Number(h.get("content-length") ?? 0) > READ_MAX_BYTES) {
          throw new ConnectError(`message larger than ${READ_MAX_BYTES} bytes`, Code.ResourceExhausted);
        }
        let input: unknown;
        try {
          input = fromBinary(method.input, new Uint8Array(await req.arrayBuffer()));
        } catch (e) {
          // what connect's handler answers, code and text (internal, not invalid_argument)
          throw new ConnectError(
            `parse binary: ${e instanceof Error ? e.message : String(e)}`,
            Code.Internal,
          );
        }
        const timeout = Number(h.get("connect-timeout-ms") ?? Number.NaN);
        const deadline = Number.isFinite(timeout) ? Date.now() + timeout : undefined;
        ctx = {
          service,
          method,
          protocolName: "connect",
          requestMethod: req.method,
          url: req.url,
          signal: req.signal,
          timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
          requestHeader: h,
          responseHeader: new Headers(),
          responseTrailer: new Headers(),
          values: createContextValues().set(LEAN_PATH, true),
        };
        const out = (await fn(input, ctx)) as MessageInitShape<typeof method.output>;
        const bytes = toBinary(
          method.output,
          isMessage(out, method.output) ? out : create(method.output, out),
        );
        const header = new Headers(ctx.responseHeader);
        header.set("content-type", PROTO);
        return new Response(bytes as Uint8Array<ArrayBuffer>, {
          status: 200,
          headers: withTrailers(header, ctx.responseTrailer),
        });
      } catch (e) {
        return errorResponse(e, ctx);
      }
    })();
  };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of body) parts.push(p);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** connect's universal handler for one unary method, with the body as one buffer each way. */
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
