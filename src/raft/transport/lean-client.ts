/**
 * The client side of the lean unary path (rpc-handlers.ts is the server side): a binary Connect
 * unary call is one POST of the encoded request; the answer is the encoded response, or a Connect
 * error as JSON with an HTTP status. connect-web's client does the same through a per-call
 * context, an interceptor chain, header objects, an AbortController and a timer, which is most of
 * the CPU and garbage of a Raft peer call in Bun (two calls per proposal on the leader). This
 * sends the same bytes with the same headers, and turns answers into the same ConnectErrors, with
 * connect's own helpers (validateResponse, errorFromJson). A differential test holds the two
 * together (lean-client.test.ts).
 */
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { appendHeaders, Code, ConnectError } from "@connectrpc/connect";
import { errorFromJson, trailerDemux, validateResponse } from "@connectrpc/connect/protocol-connect";
import type { H1Client } from "./h1-client.ts";

export type LeanUnary<I extends DescMessage, O extends DescMessage> = (
  input: MessageInitShape<I>,
  opts: { timeoutMs: number },
) => Promise<MessageShape<O>>;

/**
 * A caller for one unary method at `baseUrl` (http:// or https://), sending `headers` (e.g. the
 * bearer credential) with every call; over `h1` when given (see h1-client.ts), else fetch.
 */
export function leanUnary<I extends DescMessage, O extends DescMessage>(
  baseUrl: string,
  method: DescMethodUnary<I, O>,
  headers: Record<string, string> = {},
  h1?: H1Client,
): LeanUnary<I, O> {
  const url = `${baseUrl.replace(/\/+$/, "")}/${method.parent.typeName}/${method.name}`;
  const base: Record<string, string> = {
    ...headers,
    "content-type": "application/proto",
    "connect-protocol-version": "1",
  };
  // written into the request by hand (h1): refuse what fetch's Headers would refuse
  const head = Object.entries(base)
    .map(([k, v]) => {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new TypeError(`Invalid header name: '${k}'`);
      if (/[\r\n\0]/.test(v)) throw new TypeError(`Header '${k}' has invalid value`);
      return `${k}: ${v}\r\n`;
    })
    .join("");
  const fail = (e: unknown, timeoutMs: number): never => {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) {
      throw new ConnectError(`${method.name}: no answer within ${timeoutMs} ms`, Code.DeadlineExceeded);
    }
    throw new ConnectError(
      `${method.name}: ${e instanceof Error ? e.message : String(e)}`,
      Code.Unavailable,
      undefined,
      undefined,
      e,
    );
  };
  const decode = (b: Uint8Array): MessageShape<O> => {
    try {
      return fromBinary(method.output, b);
    } catch (e) {
      // what connect's clients say
      throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
    }
  };
  const answer = async (
    status: number,
    hdrs: Headers,
    bytes: () => Promise<Uint8Array>,
    timeoutMs: number,
  ): Promise<MessageShape<O>> => {
    const { isUnaryError, unaryError } = validateResponse("unary", true, status, hdrs);
    let body: Uint8Array;
    try {
      body = await bytes();
    } catch (e) {
      return fail(e, timeoutMs);
    }
    if (isUnaryError) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw unaryError;
      }
      // trailers travel as trailer-* headers in the Connect protocol (as connect's clients read them)
      throw errorFromJson(
        json as Parameters<typeof errorFromJson>[0],
        appendHeaders(...trailerDemux(hdrs)),
        unaryError,
      );
    }
    return decode(body);
  };
  if (h1) {
    return async (input, opts) => {
      const body = toBinary(method.input, create(method.input, input));
      let res: Awaited<ReturnType<H1Client["post"]>>;
      try {
        res = await h1.post(url, `${head}connect-timeout-ms: ${opts.timeoutMs}\r\n`, body, opts.timeoutMs);
      } catch (e) {
        return fail(e, opts.timeoutMs);
      }
      // the common case without building a Headers object
      if (res.status === 200 && res.headers.get("content-type") === "application/proto")
        return decode(res.body);
      return answer(res.status, new Headers([...res.headers]), async () => res.body, opts.timeoutMs);
    };
  }
  return async (input, opts) => {
    const body = toBinary(method.input, create(method.input, input));
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { ...base, "connect-timeout-ms": String(opts.timeoutMs) },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
        redirect: "error",
      });
    } catch (e) {
      return fail(e, opts.timeoutMs);
    }
    return answer(
      res.status,
      res.headers,
      async () => new Uint8Array(await res.arrayBuffer()),
      opts.timeoutMs,
    );
  };
}
