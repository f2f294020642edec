/**
 * The lean unary path against connect's own handler, differentially: the same implementation
 * served both ways on real sockets must give every client the same answers, errors, headers
 * and trailers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import { LEAN_PATH, rpcHandlers } from "./rpc-handlers.ts";

/** Behaviour chosen by the request's cluster_id. */
const routes = (r: ConnectRouter) => {
  r.service(RaftService, {
    async step(req, ctx) {
      ctx.responseHeader.set("x-lean", String(ctx.values.get(LEAN_PATH)));
      ctx.responseHeader.set("x-echo", ctx.requestHeader.get("x-echo") ?? "");
      ctx.responseTrailer.set("x-trailer", "t1");
      switch (Number(req.clusterId)) {
        case 1:
          throw new ConnectError("no such thing", Code.NotFound);
        case 2:
          throw new Error("boom: a plain error");
        case 3:
          return { messages: [{ type: "heartbeat", from: 9n, to: 1n, term: 4n }] };
        case 4:
          return { messages: [{ type: "x", reject: true }] };
        case 5:
          throw new ConnectError("with metadata", Code.Aborted, {
            "x-err": "m1",
            "content-type": "text/x-no",
          });
        default:
          return {};
      }
    },
  });
};

const servers: ReturnType<typeof Bun.serve>[] = [];
const urls: Record<"lean" | "connect", string> = { lean: "", connect: "" };

beforeAll(() => {
  for (const kind of ["lean", "connect"] as const) {
    const handlers = rpcHandlers(routes, { lean: kind === "lean" });
    const s = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => handlers.get(new URL(req.url).pathname)?.(req) ?? new Response(null, { status: 404 }),
    });
    servers.push(s);
    urls[kind] = `http://127.0.0.1:${s.port}`;
  }
});
afterAll(() => {
  for (const s of servers) s.stop(true);
});

async function outcome(url: string, clusterId: number, binary: boolean) {
  let header: Headers | undefined;
  let trailer: Headers | undefined;
  const client = createClient(RaftService, createConnectTransport({ baseUrl: url, useBinaryFormat: binary }));
  try {
    const res = await client.step(
      { clusterId: BigInt(clusterId) },
      { headers: { "x-echo": "hello" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    return {
      ok: res.messages.map((m) => ({ type: m.type, from: m.from, term: m.term, reject: m.reject })),
      echo: header?.get("x-echo"),
      lean: header?.get("x-lean"),
      trailer: trailer?.get("x-trailer"),
    };
  } catch (e) {
    const err = ConnectError.from(e);
    // headers and trailers set before the throw, and the error's own metadata, reach the client
    const meta = ["x-echo", "x-trailer", "x-err", "content-type"].map((k) => `${k}=${err.metadata.get(k)}`);
    return { code: Code[err.code], message: err.rawMessage, meta: meta.join(" ") };
  }
}

describe("the lean unary path", () => {
  for (const id of [0, 1, 2, 3, 4, 5]) {
    test(`case ${id}: the same outcome as connect's handler`, async () => {
      const lean = await outcome(urls.lean, id, true);
      const conn = await outcome(urls.connect, id, true);
      if ("ok" in lean && "ok" in conn) {
        // which path served it is the one intended difference
        expect(lean.lean).toBe("true");
        expect(conn.lean).toBe("false");
        expect({ ...lean, lean: "" }).toEqual({ ...conn, lean: "" });
      } else {
        expect(lean).toEqual(conn);
        expect((lean as { meta: string }).meta).toContain("x-echo=hello x-trailer=t1");
      }
    });
  }

  test("JSON calls on the lean server go to connect's handler and agree too", async () => {
    const viaJson = await outcome(urls.lean, 3, false);
    expect(viaJson).toMatchObject({ lean: "false", echo: "hello", trailer: "t1" });
    expect((viaJson as { ok: unknown[] }).ok).toHaveLength(1);
    expect(await outcome(urls.lean, 1, false)).toMatchObject({ code: "NotFound", message: "no such thing" });
  });

  test("a body that is not the message is connect's internal error; a wrong protocol version is connect's answer", async () => {
    for (const url of [urls.lean, urls.connect]) {
      const bad = await fetch(`${url}/pipam.v1.RaftService/Step`, {
        method: "POST",
        headers: { "content-type": "application/proto" },
        body: new Uint8Array([0xff, 0xff, 0xff]),
      });
      expect(bad.status).toBe(500);
      expect(await bad.json()).toEqual({ code: "internal", message: "parse binary: premature EOF" });
    }
    const lean = await fetch(`${urls.lean}/pipam.v1.RaftService/Step`, {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-protocol-version": "7" },
      body: new Uint8Array(0),
    });
    const conn = await fetch(`${urls.connect}/pipam.v1.RaftService/Step`, {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-protocol-version": "7" },
      body: new Uint8Array(0),
    });
    expect(lean.status).toBe(conn.status);
    expect(await lean.text()).toBe(await conn.text());
  });
});
