/**
 * The lean client against connect-web's, differentially: the same calls from connect-web's client,
 * `leanUnary` over fetch and `leanUnary` over h1 (h1-client.ts), against the same RaftService
 * implementation served by connect's own handler and by pipam's lean path (rpc-handlers.ts), must
 * put the same bytes and headers on the wire and give the same answers and ConnectErrors. Where
 * they differ on purpose (a refused connection is Unavailable, a non-JSON error body keeps the
 * HTTP status's code), "known differences" pins it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createClient,
  createConnectRouter,
} from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-web";
import {
  type InstallSnapshotRequestSchema,
  RaftService,
  type StepRequest,
  StepRequestSchema,
  type StepResponseSchema,
} from "../../gen/pipam/v1/raft_pb.ts";
import { createH1Client, type H1Client } from "./h1-client.ts";
import { leanUnary } from "./lean-client.ts";
import { rpcHandlers } from "./rpc-handlers.ts";

const CLIENTS = ["connect-web", "lean fetch", "lean h1"] as const;
type Client = (typeof CLIENTS)[number];
const AUTH = { authorization: "Bearer s3cret" };
/** clusterId that makes Step sleep past the callers' deadline */
const SLOW = 100n;
const MSG = 'nope: "quoted" ü ✓\nsecond line';

const servers: { stop(force: boolean): void }[] = [];
const h1s: H1Client[] = [];
afterEach(() => {
  for (const c of h1s.splice(0)) c.close();
  for (const s of servers.splice(0)) s.stop(true);
});

function h1(): H1Client {
  const c = createH1Client();
  h1s.push(c);
  return c;
}

const echo = (req: StepRequest): MessageInitShape<typeof StepResponseSchema> => ({
  messages: req.messages.map((m) => ({ ...m, term: m.term + 1n, reject: !m.reject })),
});

/** Step: clusterId 0 answers, 1..16 throws a ConnectError with that code, 17 a plain Error, SLOW sleeps. */
const impl = {
  async step(req: StepRequest) {
    if (req.clusterId === SLOW) await Bun.sleep(500);
    else if (req.clusterId === 17n) throw new Error("boom");
    else if (req.clusterId > 0n) throw new ConnectError(MSG, Number(req.clusterId) as Code);
    return echo(req);
  },
  async installSnapshot(req: MessageShape<typeof InstallSnapshotRequestSchema>) {
    return { received: req.offset + BigInt(req.chunk.length) };
  },
};
const fullService = (r: ConnectRouter) => r.service(RaftService, impl);

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  clientPort: number;
}

/** A RaftService server: connect's own handler, or pipam's lean path. Records every request. */
function serveRaft(kind: "connect" | "lean", routes: (r: ConnectRouter) => void = fullService) {
  let handlers: Map<string, (req: Request) => Promise<Response>>;
  if (kind === "connect") {
    const router = createConnectRouter();
    routes(router);
    handlers = new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h)]));
  } else {
    handlers = rpcHandlers(routes);
  }
  const seen: Seen[] = [];
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, server) {
      const path = new URL(req.url).pathname;
      const body = new Uint8Array(await req.clone().arrayBuffer());
      seen.push({
        path,
        headers: Object.fromEntries(req.headers),
        body,
        clientPort: server.requestIP(req)!.port,
      });
      return handlers.get(path)?.(req) ?? new Response("no such path", { status: 404 });
    },
  });
  servers.push(s);
  return { url: `http://127.0.0.1:${s.port}`, seen };
}

function serveFetch(fetch: () => Response) {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  servers.push(s);
  return `http://127.0.0.1:${s.port}`;
}

/** A raw HTTP/1.1 server: reads one whole request (head + content-length), writes `answer`. */
function serveRaw(answer: string, then: "end" | "stall") {
  const l = Bun.listen<{ buf: string; done: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "", done: false };
      },
      data(s, d) {
        s.data.buf += Buffer.from(d).toString("latin1");
        const he = s.data.buf.indexOf("\r\n\r\n");
        const len = Number(/content-length: *(\d+)/i.exec(s.data.buf)?.[1] ?? 0);
        if (s.data.done || he < 0 || s.data.buf.length < he + 4 + len) return;
        s.data.done = true;
        s.write(answer);
        if (then === "end") s.end();
      },
    },
  });
  servers.push(l);
  return `http://127.0.0.1:${l.port}`;
}

type Outcome = { ok: Uint8Array } | { code: string; message: string; metadata: Headers } | { thrown: string };

async function call<I extends DescMessage, O extends DescMessage>(
  client: Client,
  url: string,
  method: DescMethodUnary<I, O>,
  input: MessageInitShape<I>,
  timeoutMs = 2000,
  viaH1: H1Client = h1(),
): Promise<Outcome> {
  try {
    let out: MessageShape<O>;
    if (client === "connect-web") {
      const c = createClient(RaftService, createConnectTransport({ baseUrl: url, useBinaryFormat: true }));
      const fn = c[method.localName as keyof typeof c] as unknown as (
        input: MessageInitShape<I>,
        opts: { timeoutMs: number; headers: Record<string, string> },
      ) => Promise<MessageShape<O>>;
      out = await fn(input, { timeoutMs, headers: AUTH });
    } else {
      out = await leanUnary(
        url,
        method,
        AUTH,
        client === "lean h1" ? viaH1 : undefined,
      )(input, { timeoutMs });
    }
    return { ok: toBinary(method.output, out) };
  } catch (e) {
    if (!(e instanceof ConnectError)) return { thrown: String(e) };
    return { code: Code[e.code], message: e.rawMessage, metadata: e.metadata };
  }
}

/** code and message only (metadata carries dates and lengths) */
const brief = (o: Outcome) => ("code" in o ? { code: o.code, message: o.message } : o);

async function all<I extends DescMessage, O extends DescMessage>(
  url: string,
  method: DescMethodUnary<I, O>,
  input: MessageInitShape<I>,
  timeoutMs?: number,
): Promise<Record<Client, Outcome>> {
  const out = {} as Record<Client, Outcome>;
  for (const c of CLIENTS) out[c] = await call(c, url, method, input, timeoutMs);
  return out;
}

/** the same outcome, code and message, from all three clients; returns it */
async function agree<I extends DescMessage, O extends DescMessage>(
  url: string,
  method: DescMethodUnary<I, O>,
  input: MessageInitShape<I>,
) {
  const o = await all(url, method, input);
  expect(brief(o["lean fetch"])).toEqual(brief(o["connect-web"]));
  expect(brief(o["lean h1"])).toEqual(brief(o["connect-web"]));
  return brief(o["connect-web"]);
}

/** headers that carry no Connect meaning (fetch adds accept, accept-encoding, user-agent, connection) */
const TRANSPORT = new Set([
  "host",
  "content-length",
  "accept",
  "accept-encoding",
  "user-agent",
  "connection",
]);
const meaningful = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !TRANSPORT.has(k)));

const bigStep: MessageInitShape<typeof StepRequestSchema> = {
  clusterId: 0n,
  replyInline: true,
  messages: Array.from({ length: 64 }, (_, i) => ({
    type: i % 2 ? "app" : "heartbeat",
    from: 2n ** 64n - 1n,
    to: BigInt(i),
    term: 7n,
    reject: i % 3 === 0,
    entries: [{ index: BigInt(i), term: 7n, data: new Uint8Array(8192).fill(i) }],
    snapshot: i === 5 ? { index: 9n, term: 2n, voters: [1n, 2n, 3n] } : undefined,
  })),
};
const chunk = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
const snapshotChunk: MessageInitShape<typeof InstallSnapshotRequestSchema> = {
  from: 1n,
  to: 2n,
  term: 3n,
  offset: 5n * 1024n * 1024n,
  chunk,
  total: 9n * 1024n * 1024n,
  message: { type: "snap", from: 1n, to: 2n, term: 3n },
};

for (const kind of ["connect", "lean"] as const) {
  describe(`against ${kind === "connect" ? "connect's handler" : "pipam's lean path"}`, () => {
    test("success: the same request bytes and headers on the wire, the same answer", async () => {
      const srv = serveRaft(kind);
      const cases = [
        { method: RaftService.method.step, input: {}, answer: {} },
        { method: RaftService.method.step, input: bigStep, answer: echo(create(StepRequestSchema, bigStep)) },
        {
          method: RaftService.method.installSnapshot,
          input: snapshotChunk,
          answer: { received: 5n * 1024n * 1024n + BigInt(chunk.length) },
        },
      ] as const;
      for (const c of cases) {
        const method = c.method as DescMethodUnary<DescMessage, DescMessage>;
        const want = toBinary(method.output, create(method.output, c.answer));
        const sent = toBinary(method.input, create(method.input, c.input));
        const before = srv.seen.length;
        const o = await all(srv.url, method, c.input);
        for (const client of CLIENTS) expect({ client, ...o[client] }).toEqual({ client, ok: want });
        const seen = srv.seen.slice(before);
        expect(seen).toHaveLength(3);
        for (const s of seen) {
          expect(s.path).toBe(`/pipam.v1.RaftService/${method.name}`);
          expect(meaningful(s.headers)).toEqual({
            ...AUTH,
            "content-type": "application/proto",
            "connect-protocol-version": "1",
            "connect-timeout-ms": "2000",
          });
          expect(s.headers["content-length"]).toBe(String(sent.length));
          expect(s.body).toEqual(sent);
        }
      }
    });

    test("errors thrown by the implementation: the same code and message from all three", async () => {
      const { url } = serveRaft(kind);
      for (let code = 1; code <= 16; code++) {
        const got = await agree(url, RaftService.method.step, { clusterId: BigInt(code) });
        expect({ code, got }).toEqual({ code, got: { code: Code[code]!, message: MSG } });
      }
      expect(await agree(url, RaftService.method.step, { clusterId: 17n })).toEqual({
        code: "Internal",
        message: "internal error",
      });
    });

    test("a method the router lacks, or a path the server lacks: Unimplemented from all three", async () => {
      const partial = serveRaft(kind, (r) => r.service(RaftService, { step: impl.step }));
      expect(await agree(partial.url, RaftService.method.installSnapshot, snapshotChunk)).toEqual({
        code: "Unimplemented",
        message: "pipam.v1.RaftService.InstallSnapshot is not implemented",
      });
      // only Step is routed: InstallSnapshot is the Bun.serve fallback's text/plain 404
      const stepOnly = serveRaft(kind, (r) => r.rpc(RaftService.method.step, impl.step));
      expect(await agree(stepOnly.url, RaftService.method.installSnapshot, snapshotChunk)).toEqual({
        code: "Unimplemented",
        message: "HTTP 404",
      });
    });

    test("an implementation slower than the deadline: DeadlineExceeded from all three, soon", async () => {
      const srv = serveRaft(kind);
      const t0 = performance.now();
      const o = await Promise.all(
        CLIENTS.map((c) => call(c, srv.url, RaftService.method.step, { clusterId: SLOW }, 100)),
      );
      expect(performance.now() - t0).toBeLessThan(450);
      expect(o.map(brief)).toEqual([
        { code: "DeadlineExceeded", message: "the operation timed out" },
        // the one difference: the lean client's message names the method and the deadline
        { code: "DeadlineExceeded", message: "Step: no answer within 100 ms" },
        { code: "DeadlineExceeded", message: "Step: no answer within 100 ms" },
      ]);
      expect(srv.seen.map((s) => s.headers["connect-timeout-ms"])).toEqual(["100", "100", "100"]);
    });
  });
}

describe("answers that are not from a Connect handler", () => {
  test("a plain 503 text/plain: Unavailable from all three", async () => {
    const url = serveFetch(() => new Response("down", { status: 503 }));
    expect(await agree(url, RaftService.method.step, {})).toEqual({
      code: "Unavailable",
      message: "HTTP 503",
    });
  });

  test("odd but valid answers: the same from all three", async () => {
    const json = { "content-type": "application/json" };
    const cases: [() => Response, Outcome][] = [
      [
        // chunked: a streamed body
        () =>
          new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(new Uint8Array([10, 3, 10, 1, 120]));
                c.enqueue(new Uint8Array([10, 0]));
                c.close();
              },
            }),
            { headers: { "content-type": "application/proto" } },
          ),
        { ok: new Uint8Array([10, 3, 10, 1, 120, 10, 0]) },
      ],
      [
        () => new Response(JSON.stringify({ code: "aborted" }), { status: 409, headers: json }),
        { code: "Aborted", message: "" } as Outcome,
      ],
      [
        () =>
          new Response(JSON.stringify({ code: "no-such-code", message: "m" }), {
            status: 429,
            headers: json,
          }),
        { code: "Unavailable", message: "m" } as Outcome,
      ],
      [
        () => new Response("<html>", { headers: { "content-type": "text/html" } }),
        { code: "Unknown", message: "unsupported content type text/html" } as Outcome,
      ],
      [
        () => new Response("{}", { headers: json }),
        { code: "Internal", message: "unsupported content type application/json" } as Outcome,
      ],
    ];
    for (const [fetch, want] of cases) {
      expect(await agree(serveFetch(fetch), RaftService.method.step, {})).toEqual(want);
    }
    // HTTP/1.0, body delimited by the close
    const url = serveRaw("HTTP/1.0 200 OK\r\ncontent-type: application/proto\r\n\r\n\n\u0000", "end");
    expect(await agree(url, RaftService.method.step, {})).toEqual({ ok: new Uint8Array([10, 0]) });
  });

  test("connection refused: Unavailable from the lean clients (connect-web: Unknown)", async () => {
    const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${gone.port}`;
    gone.stop(true);
    const o = await all(url, RaftService.method.step, {});
    expect(o["lean fetch"]).toMatchObject({ code: "Unavailable" });
    expect(o["lean h1"]).toMatchObject({ code: "Unavailable" });
    expect(o["connect-web"]).toMatchObject({ code: "Unknown" });
  });
});

describe("lean h1", () => {
  test("calls reuse one keep-alive connection", async () => {
    const srv = serveRaft("lean");
    const c = h1();
    for (let i = 0; i < 5; i++) {
      expect(await call("lean h1", srv.url, RaftService.method.step, {}, 2000, c)).toEqual({
        ok: new Uint8Array(),
      });
    }
    expect(new Set(srv.seen.map((s) => s.clientPort)).size).toBe(1);
  });

  test("a header name or value fetch would refuse is refused before anything is written", () => {
    const c = h1();
    const make = (headers: Record<string, string>) => () =>
      leanUnary("http://127.0.0.1:1", RaftService.method.step, headers, c);
    expect(make({ authorization: "Bearer a\r\nx-evil: 1" })).toThrow(
      "Header 'authorization' has invalid value",
    );
    expect(make({ "x bad": "1" })).toThrow("Invalid header name: 'x bad'");
    // the same inputs fetch's Headers refuses
    expect(() => new Headers({ authorization: "Bearer a\r\nx-evil: 1" })).toThrow();
    expect(() => new Headers({ "x bad": "1" })).toThrow();
    expect(make({ authorization: "Bearer fine" })).not.toThrow();
  });

  test("a connection the server closed after answering is not reused", async () => {
    const url = serveRaw(
      "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 2\r\n\r\n\n\u0000",
      "end",
    );
    const c = h1();
    for (let i = 0; i < 3; i++) {
      expect(await call("lean h1", url, RaftService.method.step, {}, 2000, c)).toEqual({
        ok: new Uint8Array([10, 0]),
      });
    }
  });

  test("an answer cut short or stalled mid-body: a ConnectError as connect-web's", async () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 100\r\n\r\nabc";
    expect(await call("lean h1", serveRaw(head, "end"), RaftService.method.step, {})).toMatchObject({
      code: "Unavailable", // connect-web: Unknown (fetch's ECONNRESET)
    });
    for (const c of ["connect-web", "lean h1"] as const) {
      const o = await call(c, serveRaw(head, "stall"), RaftService.method.step, {}, 100);
      expect({ c, code: "code" in o && o.code }).toEqual({ c, code: "DeadlineExceeded" });
    }
  });
});

describe("known differences, pinned as they are", () => {
  test("error metadata: trailer-* headers are split off as connect-web does", async () => {
    const { url } = serveRaft("connect", (r) =>
      r.service(RaftService, {
        async step(_req, ctx) {
          ctx.responseTrailer.set("x-t", "t1");
          throw new ConnectError("no", Code.Aborted, { "x-why": "because" });
        },
      }),
    );
    const o = await all(url, RaftService.method.step, {});
    const meta = (c: Client) => {
      const m = (o[c] as { metadata: Headers }).metadata;
      return { why: m.get("x-why"), t: m.get("x-t"), trailerT: m.get("trailer-x-t") };
    };
    expect(meta("connect-web")).toEqual({ why: "because", t: "t1", trailerT: null });
    expect(meta("lean fetch")).toEqual({ why: "because", t: "t1", trailerT: null });
    expect(meta("lean h1")).toEqual({ why: "because", t: "t1", trailerT: null });
  });

  test("an error status with a body that is not JSON: connect-web Unknown, lean the HTTP status's code", async () => {
    const url = serveFetch(
      () =>
        new Response("<html>bad gateway</html>", {
          status: 502,
          headers: { "content-type": "application/json" },
        }),
    );
    const o = await all(url, RaftService.method.step, {});
    expect(brief(o["connect-web"])).toEqual({
      code: "Unknown",
      message: "JSON Parse error: Unrecognized token '<'",
    });
    expect(brief(o["lean fetch"])).toEqual({ code: "Unavailable", message: "HTTP 502" });
    expect(brief(o["lean h1"])).toEqual({ code: "Unavailable", message: "HTTP 502" });
  });

  test("a redirect: connect-web Unknown (fetch refuses it), lean fetch Unavailable, lean h1 Unknown HTTP 307", async () => {
    const url = serveFetch(() => new Response(null, { status: 307, headers: { location: "/elsewhere" } }));
    const o = await all(url, RaftService.method.step, {});
    expect([o["connect-web"], o["lean fetch"], o["lean h1"]].map((x) => "code" in x && x.code)).toEqual([
      "Unknown",
      "Unavailable",
      "Unknown",
    ]);
    expect(brief(o["lean h1"])).toEqual({ code: "Unknown", message: "HTTP 307" });
  });
});

describe("answers that are cut short, stall or do not decode", () => {
  const bad = () =>
    serveFetch(
      () =>
        new Response(new Uint8Array([0xff, 0xff, 0xff]), {
          headers: { "content-type": "application/proto" },
        }),
    );
  test("connect-web: a 200 body that is not the message is Internal 'parse binary: premature EOF'", async () => {
    expect(brief(await call("connect-web", bad(), RaftService.method.step, {}))).toEqual({
      code: "Internal",
      message: "parse binary: premature EOF",
    });
  });
  for (const c of ["lean fetch", "lean h1"] as const) {
    test(`${c}: a 200 body that is not the message is the same ConnectError`, async () => {
      expect(brief(await call(c, bad(), RaftService.method.step, {}))).toEqual({
        code: "Internal",
        message: "parse binary: premature EOF",
      });
    });
  }

  const ok100 = "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 100\r\n\r\nabc";
  test("lean fetch: an answer cut short mid-body is a ConnectError", async () => {
    expect(await call("lean fetch", serveRaw(ok100, "end"), RaftService.method.step, {})).toHaveProperty(
      "code",
    );
  });
  test("lean fetch: an answer stalled mid-body past the deadline is DeadlineExceeded", async () => {
    const o = await call("lean fetch", serveRaw(ok100, "stall"), RaftService.method.step, {}, 100);
    expect("code" in o && o.code).toBe("DeadlineExceeded");
  });
  // connect-web and lean h1 say DeadlineExceeded
  test("lean fetch: an error body stalled past the deadline is DeadlineExceeded", async () => {
    const url = serveRaw(
      "HTTP/1.1 503 x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
      "stall",
    );
    const o = await call("lean fetch", url, RaftService.method.step, {}, 100);
    expect("code" in o && o.code).toBe("DeadlineExceeded");
  });
});
