import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PipamError } from "../../../lib/errors.ts";
import { silentLogger } from "../../../log/logger.ts";
import { createNetboxDouble, type NetboxDouble } from "../../../testing/netbox-double/index.ts";
import { apiBase, authHeader, createNetboxClient } from "./client.ts";

let nb: NetboxDouble;
const signal = new AbortController().signal;
const sleeps: number[] = [];
const clock = {
  now: () => 0,
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
};
beforeAll(async () => {
  nb = await createNetboxDouble();
});
afterAll(async () => {
  await nb.stop();
});

const client = (extra: Partial<Parameters<typeof createNetboxClient>[0]> = {}) =>
  createNetboxClient({
    url: `${nb.url}/api/`,
    token: nb.token,
    logger: silentLogger,
    clock,
    rand: () => 0.5,
    ...extra,
  });

describe("netbox client", () => {
  test("auth header by token prefix; base URL", () => {
    expect(authHeader("0123456789abcdef0123456789abcdef01234567")).toBe(
      "Token 0123456789abcdef0123456789abcdef01234567",
    );
    expect(authHeader("nbt_abc.def")).toBe("Bearer nbt_abc.def");
    expect(authHeader("Bearer nbt_abc.def")).toBe("Bearer nbt_abc.def");
    expect(authHeader("token x")).toBe("token x");
    expect(apiBase("https://nb.example/api/")).toBe("https://nb.example");
  });

  test("pagination follows pages; bulk create/update/delete in chunks", async () => {
    const c = client({ pageSize: 3, bulkSize: 4 });
    const made = await c.create(
      "/api/extras/tags/",
      Array.from({ length: 10 }, (_, i) => ({ name: `t${i}`, slug: `t${i}` })),
      signal,
    );
    expect(made.map((t) => t.slug)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    const all = await c.list("/api/extras/tags/", {}, signal);
    expect(all.length).toBe(10);
    await c.update(
      "/api/extras/tags/",
      made.slice(0, 5).map((t) => ({ id: t.id, description: "x" })),
      signal,
    );
    expect((await c.list("/api/extras/tags/", {}, signal)).filter((t) => t.description === "x").length).toBe(
      5,
    );
    await c.remove(
      "/api/extras/tags/",
      made.map((t) => t.id),
      signal,
    );
    expect(await c.list("/api/extras/tags/", {}, signal)).toEqual([]);
    const s = c.stats();
    expect(s.byKind["POST /api/extras/tags/"]).toBe(3);
    expect(s.byKind["PATCH /api/extras/tags/"]).toBe(2);
    expect(s.byKind["DELETE /api/extras/tags/"]).toBe(3);
    expect(s.byKind["GET /api/extras/tags/"]).toBe(4 + 4 + 1);
    expect(nb.rejected).toEqual([]);
  });

  test("a 400 throws with NetBox's body; 5xx is retried with backoff; exhausted retries are transient", async () => {
    const c = client({ retries: 3, retryBaseMs: 100 });
    const err = await c
      .create("/api/extras/tags/", [{ name: "bad", slug: "has space" }], signal)
      .catch((e) => e);
    expect(err).toBeInstanceOf(PipamError);
    expect((err as PipamError).code).toBe("rejected");
    expect((err as PipamError).message).toContain("slug");
    nb.rejected.length = 0;
    sleeps.length = 0;
    nb.failNext(2, 502);
    expect(await c.list("/api/extras/tags/", {}, signal)).toEqual([]);
    expect(sleeps.length).toBe(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] as number);
    nb.failNext(10, 503);
    const e2 = await c.list("/api/extras/tags/", {}, signal).catch((e) => e);
    nb.failNext(0);
    expect((e2 as PipamError).transient).toBe(true);
    expect((e2 as PipamError).message).toContain("503");
  });

  test("a timed-out GET is retried; a timed-out write is not resent", async () => {
    let calls = 0;
    const hang: typeof fetch = Object.assign(
      (_: unknown, init?: RequestInit) =>
        new Promise<Response>((_, reject) => {
          calls++;
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
      { preconnect: fetch.preconnect },
    );
    const c = client({ fetch: hang, timeoutMs: 20, retries: 2 });
    const e = await c.list("/api/extras/tags/", {}, signal).catch((x) => x);
    expect([(e as PipamError).code, (e as PipamError).transient, calls]).toEqual(["timeout", true, 3]);
    calls = 0;
    const w = await c.create("/api/extras/tags/", [{ name: "a", slug: "a" }], signal).catch((x) => x);
    expect([(w as PipamError).code, calls]).toEqual(["timeout", 1]);
  });

  test("a wrong token is an auth error naming NetBox's reason", async () => {
    const e = await client({ token: "nbt_wrongkey.wrong" })
      .list("/api/extras/tags/", {}, signal)
      .catch((x) => x);
    expect((e as PipamError).code).toBe("forbidden");
    expect((e as PipamError).message).toContain("Invalid v2 token");
  });
});
