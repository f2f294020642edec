/**
 * The RPC services over real sockets: Connect on Bun.serve (the main port) and native gRPC on the
 * optional h2c port; peer traffic and admin calls are refused without the right bearer credential.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, type ConnectRouter, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import { silentLogger } from "../../log/logger.ts";
import type { Message } from "../core/index.ts";
import { bearerInterceptor } from "./auth.ts";
import { toPb } from "./codec.ts";
import { type GrpcServer, startGrpcServer } from "./grpc-server.ts";
import { createPeerSender } from "./peer-client.ts";
import { raftServiceImpl } from "./peer-service.ts";
import { LEAN_PATH, rpcHandlers } from "./rpc-handlers.ts";

const SECRET = "cluster-secret";
const got: Message[] = [];
/** Sizes of the InstallSnapshot chunks received. */
const chunks: number[] = [];
const impl = raftServiceImpl((msgs) => got.push(...msgs), SECRET);
const routes = (r: ConnectRouter) => {
  r.service(RaftService, {
    step: (req, ctx) => {
      if (ctx.values.get(LEAN_PATH)) leanServed++;
      return impl.step!(req, ctx);
    },
    installSnapshot: (req, ctx) => {
      chunks.push(req.chunk.length);
      return impl.installSnapshot!(req, ctx);
    },
  });
};
let server: ReturnType<typeof Bun.serve>;
let grpc: GrpcServer;
let url: string;

/** Step calls served on the lean path (the rest went to connect's handler). */
let leanServed = 0;

beforeAll(async () => {
  const handlers = rpcHandlers(routes);

  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => handlers.get(new URL(req.url).pathname)?.(req) ?? new Response(null, { status: 404 }),
  });
  url = `http://127.0.0.1:${server.port}`;
  grpc = await startGrpcServer("127.0.0.1:0", routes);
});
afterAll(async () => {
  server?.stop(true);
  await grpc?.stop();
});

const msg = (to: number, entries = 0): Message => ({
  type: "app",
  from: 1,
  to,
  term: 3,
  logTerm: 2,
  index: 10,
  commit: 9,
  reject: false,
  rejectHint: 0,
  entries: Array.from({ length: entries }, (_, i) => ({
    index: 11 + i,
    term: 3,
    type: i % 2 ? "conf-change" : "normal",
    data: new Uint8Array([i, 1, 2]),
  })),
});

describe("raft transport", () => {
  test("the peer sender delivers batches intact over Connect", async () => {
    got.length = 0;
    const sender = createPeerSender({ secret: SECRET, logger: silentLogger });
    sender.setPeer(2, url);
    sender.send([msg(2, 3), msg(2), msg(5)]);
    for (let i = 0; i < 100 && got.length < 2; i++) await Bun.sleep(20);
    expect(got).toEqual([msg(2, 3), msg(2)]);
    sender.stop();
  });

  test("a snapshot travels in 1 MiB InstallSnapshot chunks and arrives whole", async () => {
    got.length = 0;
    chunks.length = 0;
    const sender = createPeerSender({ secret: SECRET, logger: silentLogger });
    sender.setPeer(2, url);
    const snap: Message = {
      ...msg(2),
      type: "snap",
      snapshot: {
        meta: { index: 50, term: 3, confState: { voters: [1, 2, 3], learners: [4] } },
        data: crypto.getRandomValues(new Uint8Array(65536)).map((_, i) => i % 251),
      },
    };
    const big = new Uint8Array((5 << 20) / 2 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 253;
    snap.snapshot!.data = big;
    let ok: boolean | undefined;
    const s2 = createPeerSender({
      secret: SECRET,
      logger: silentLogger,
      onSnapshotResult: (_to, r) => (ok = r),
    });
    s2.setPeer(2, url);
    s2.send([snap]);
    for (let i = 0; i < 200 && ok === undefined; i++) await Bun.sleep(20);
    expect(ok).toBe(true);
    expect(chunks).toEqual([1 << 20, 1 << 20, big.length - (2 << 20)]);
    expect(got).toHaveLength(1);
    expect(got[0]?.type).toBe("snap");
    expect(got[0]?.term).toBe(3);
    expect(got[0]?.snapshot?.meta).toEqual(snap.snapshot!.meta);
    expect(Buffer.compare(got[0]!.snapshot!.data, big)).toBe(0);
    sender.stop();
    s2.stop();
  });

  /** a connect-web client of this test's server, Connect protocol in binary or JSON */
  const peerClient = (opts: { interceptors?: Interceptor[]; useBinaryFormat?: boolean } = {}) =>
    createClient(
      RaftService,
      createConnectTransport({
        baseUrl: url,
        useBinaryFormat: opts.useBinaryFormat,
        interceptors: opts.interceptors ?? [bearerInterceptor(SECRET)],
      }),
    );

  test("peer calls without or with a wrong credential are refused", async () => {
    for (const interceptors of [[], [bearerInterceptor("wrong")]]) {
      await expect(peerClient({ interceptors }).step({ messages: [] })).rejects.toThrow(/credential/);
    }
    await expect(peerClient().step({ messages: [] })).resolves.toBeDefined();
  });

  test("the lean path and connect's handler give the same answers and errors", async () => {
    const binary = peerClient({ useBinaryFormat: true });
    const json = peerClient({ useBinaryFormat: false });
    got.length = 0;
    const before = leanServed;
    await binary.step({ messages: [toPb(msg(2, 2))] });
    expect(leanServed).toBe(before + 1); // binary Connect: the lean path
    await json.step({ messages: [toPb(msg(2, 1))] });
    expect(leanServed).toBe(before + 1); // JSON: connect's handler
    expect(got).toEqual([msg(2, 2), msg(2, 1)]);
    // Errors are Connect errors either way: the code and message survive the wire.
    for (const format of [true, false]) {
      const anon = createClient(
        RaftService,
        createConnectTransport({ baseUrl: url, useBinaryFormat: format }),
      );
      const err = await anon.step({ messages: [] }).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
      expect((err as ConnectError).rawMessage).toMatch(/missing or wrong credential/);
    }
    const bad = await fetch(`${url}/pipam.v1.RaftService/Step`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${SECRET}` },
      body: new Uint8Array([0xff, 0xff, 0xff]),
    });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { code: string }).code).toBe("internal");
  });

  test("native gRPC works on the optional h2c port, with the same auth", async () => {
    const good = createClient(
      RaftService,
      createGrpcTransport({ baseUrl: grpc.url, interceptors: [bearerInterceptor(SECRET)] }),
    );
    got.length = 0;
    await good.step({ messages: [] });
    const bad = createClient(RaftService, createGrpcTransport({ baseUrl: grpc.url }));
    await expect(bad.step({ messages: [] })).rejects.toThrow(/credential/);
  });
});
