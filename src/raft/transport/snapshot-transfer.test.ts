/**
 * InstallSnapshot on the receiving side: chunks must continue the transfer they belong to; a gap,
 * a restart, an oversize or stale transfer and a missing credential are refused, and nothing
 * reaches Raft until the last chunk. A peer without InstallSnapshot (an older version) gets the
 * snapshot in one Step call instead.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import { InstallSnapshotRequestSchema, RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import { silentLogger } from "../../log/logger.ts";
import type { Message } from "../core/index.ts";
import { toPb } from "./codec.ts";
import { createPeerSender } from "./peer-client.ts";
import { raftServiceImpl } from "./peer-service.ts";
import { rpcHandlers } from "./rpc-handlers.ts";

const SECRET = "s";

function snapMsg(term: number, index: number, data: Uint8Array): Message {
  return {
    type: "snap",
    from: 1,
    to: 2,
    term,
    logTerm: 0,
    index: 0,
    commit: 0,
    reject: false,
    rejectHint: 0,
    entries: [],
    snapshot: { meta: { index, term, confState: { voters: [1, 2, 3], learners: [] } }, data },
  };
}

function ctx(auth = `Bearer ${SECRET}`): HandlerContext {
  return {
    requestHeader: new Headers({ authorization: auth }),
    values: createContextValues(),
  } as unknown as HandlerContext;
}

function chunk(m: Message, offset: number, bytes: Uint8Array, total: number, done: boolean) {
  const header = toPb({ ...m, snapshot: { meta: m.snapshot!.meta, data: new Uint8Array(0) } });
  return create(InstallSnapshotRequestSchema, {
    from: 1n,
    to: 2n,
    term: BigInt(m.term),
    meta: header.snapshot,
    offset: BigInt(offset),
    chunk: bytes,
    done,
    total: BigInt(total),
    message: header,
  });
}

async function code(p: unknown): Promise<Code | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

describe("InstallSnapshot, receiving", () => {
  test("chunks in order arrive whole; nothing is stepped before the last one", async () => {
    const got: Message[] = [];
    const impl = raftServiceImpl((m) => got.push(...m), SECRET);
    const data = new Uint8Array(10).map((_, i) => i + 1);
    const m = snapMsg(4, 90, data);
    await impl.installSnapshot!(chunk(m, 0, data.subarray(0, 4), 10, false), ctx());
    await impl.installSnapshot!(chunk(m, 4, data.subarray(4, 8), 10, false), ctx());
    expect(got).toHaveLength(0);
    const res = await impl.installSnapshot!(chunk(m, 8, data.subarray(8), 10, true), ctx());
    expect(Number((res as { received: bigint }).received)).toBe(10);
    expect(got).toHaveLength(1);
    expect([...got[0]!.snapshot!.data]).toEqual([...data]);
    expect(got[0]!.snapshot!.meta.index).toBe(90);
  });

  test("a gap, a chunk of another snapshot, an overrun, an oversize or stale transfer, no credential: refused", async () => {
    const got: Message[] = [];
    let now = 0;
    const impl = raftServiceImpl((m) => got.push(...m), SECRET, {
      maxSnapshotBytes: 100,
      staleMs: 1000,
      now: () => now,
    });
    const d = new Uint8Array(20);
    const m = snapMsg(4, 90, d);
    await impl.installSnapshot!(chunk(m, 0, d.subarray(0, 5), 20, false), ctx());
    expect(await code(impl.installSnapshot!(chunk(m, 10, d.subarray(10, 15), 20, false), ctx()))).toBe(
      Code.FailedPrecondition,
    );
    // the transfer was dropped: continuing where it was is refused as well
    expect(await code(impl.installSnapshot!(chunk(m, 5, d.subarray(5, 10), 20, false), ctx()))).toBe(
      Code.FailedPrecondition,
    );
    await impl.installSnapshot!(chunk(m, 0, d.subarray(0, 5), 20, false), ctx());
    expect(
      await code(impl.installSnapshot!(chunk(snapMsg(4, 91, d), 5, d.subarray(5, 10), 20, false), ctx())),
    ).toBe(Code.FailedPrecondition);
    await impl.installSnapshot!(chunk(m, 0, d.subarray(0, 15), 20, false), ctx());
    expect(await code(impl.installSnapshot!(chunk(m, 15, new Uint8Array(10), 20, true), ctx()))).toBe(
      Code.InvalidArgument,
    );
    expect(await code(impl.installSnapshot!(chunk(m, 0, d, 101, false), ctx()))).toBe(Code.ResourceExhausted);
    await impl.installSnapshot!(chunk(m, 0, d.subarray(0, 5), 20, false), ctx());
    now += 5000; // no chunk for longer than staleMs
    expect(await code(impl.installSnapshot!(chunk(m, 5, d.subarray(5, 20), 20, true), ctx()))).toBe(
      Code.FailedPrecondition,
    );
    expect(await code(impl.installSnapshot!(chunk(m, 0, d, 20, true), ctx("Bearer nope")))).toBe(
      Code.Unauthenticated,
    );
    expect(got).toHaveLength(0);
  });
});

describe("InstallSnapshot, sending to a peer without it", () => {
  const got: Message[] = [];
  const stepOnly = raftServiceImpl((m) => got.push(...m), SECRET);
  const routes = (r: ConnectRouter) => r.service(RaftService, { step: stepOnly.step! });
  const handlers = rpcHandlers(routes);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => handlers.get(new URL(req.url).pathname)?.(req) ?? new Response(null, { status: 404 }),
  });
  afterAll(() => server.stop(true));

  test("falls back to one Step call, and keeps doing so for that peer", async () => {
    const results: boolean[] = [];
    const sender = createPeerSender({
      secret: SECRET,
      logger: silentLogger,
      onSnapshotResult: (_to, ok) => results.push(ok),
    });
    sender.setPeer(2, `http://127.0.0.1:${server.port}`);
    const data = new Uint8Array(3 << 20).fill(9);
    sender.send([snapMsg(5, 200, data)]);
    for (let i = 0; i < 200 && results.length < 1; i++) await Bun.sleep(10);
    sender.send([snapMsg(5, 300, data)]);
    for (let i = 0; i < 200 && results.length < 2; i++) await Bun.sleep(10);
    sender.stop();
    expect(results).toEqual([true, true]);
    expect(got.map((m) => m.snapshot?.meta.index)).toEqual([200, 300]);
    expect(got[0]!.snapshot!.data.length).toBe(3 << 20);
  });
});
