import { describe, expect, test } from "bun:test";
import type { Clock } from "../../../lib/clock.ts";
import { PipamError } from "../../../lib/errors.ts";
import { silentLogger } from "../../../log/logger.ts";
import { apiBase, createPdnsClient, errorText } from "./client.ts";

/** A clock whose sleep returns at once and records the waits. */
function fakeClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => 0, sleep: async (ms) => void waits.push(ms) };
}

/** A fetch that answers from a script: a status, or "refuse" to throw like a refused connection. */
function scripted(steps: (number | "refuse" | "hang")[]) {
  const calls: { url: string; method: string; key: string | null }[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({ url: String(input), method: init?.method ?? "GET", key: headers.get("X-API-Key") });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step === "refuse") throw new TypeError("Unable to connect. Is the computer able to access the url?");
    if (step === "hang") {
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    }
    const body = step === 422 ? '{"error": "bad"}' : step === 500 ? "Internal Server Error" : "";
    return new Response(step === 204 ? null : body, { status: step });
  }) as typeof fetch;
  return { f, calls };
}

const client = (f: typeof fetch, clock = fakeClock(), more = {}) =>
  createPdnsClient({
    url: "http://pdns:8081/api/v1/",
    apiKey: "k",
    logger: silentLogger,
    clock,
    rand: () => 0.5,
    fetch: f,
    ...more,
  });

describe("PowerDNS client", () => {
  test("base URL with or without /api/v1; server id in the path; key header", async () => {
    expect(apiBase("http://h:1")).toBe("http://h:1");
    expect(apiBase("http://h:1/api/v1/")).toBe("http://h:1");
    const { f, calls } = scripted([200]);
    const c = createPdnsClient({
      url: "http://h:1",
      apiKey: "secret",
      serverId: "other",
      logger: silentLogger,
      fetch: f,
    });
    await c.request("GET", "/zones", undefined, AbortSignal.timeout(1000));
    expect(calls).toEqual([{ url: "http://h:1/api/v1/servers/other/zones", method: "GET", key: "secret" }]);
  });

  test("5xx and refused connections are retried with growing, jittered backoff, then thrown as transient", async () => {
    const clock = fakeClock();
    const { f, calls } = scripted([500, "refuse", 503, 500]);
    const err = await client(f, clock, { retries: 3, retryBaseMs: 100, retryMaxMs: 250 })
      .request("PATCH", "/zones/z.", "{}", AbortSignal.timeout(1000))
      .catch((e) => e);
    expect(err).toBeInstanceOf(PipamError);
    expect(err.transient).toBe(true);
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("HTTP 500");
    expect(calls.length).toBe(4);
    // rand 0.5 → 3/4 of the ceiling: 100·2^i capped at 250
    expect(clock.waits).toEqual([75, 150, 187]);
  });

  test("a transient failure followed by success returns the success; writes are counted", async () => {
    const { f, calls } = scripted(["refuse", 500, 204]);
    const c = client(f);
    const res = await c.request("PATCH", "/zones/z.", "{}", AbortSignal.timeout(1000));
    expect(res.status).toBe(204);
    expect(calls.length).toBe(3);
    expect(c.writes()).toBe(3);
  });

  test("4xx is returned as is (no retry); 401 and 403 throw non-transient errors", async () => {
    const r422 = scripted([422]);
    const res = await client(r422.f).request("PATCH", "/zones/z.", "{}", AbortSignal.timeout(1000));
    expect([res.status, errorText(res.text), r422.calls.length]).toEqual([422, "bad", 1]);
    for (const [status, code] of [
      [401, "auth"],
      [403, "forbidden"],
    ] as const) {
      const s = scripted([status]);
      const err = await client(s.f)
        .request("GET", "", undefined, AbortSignal.timeout(1000))
        .catch((e) => e);
      expect([err.code, err.transient, s.calls.length]).toEqual([code, false, 1]);
    }
  });

  test("a request that hangs times out (transient 'timeout'); the caller's abort is not retried", async () => {
    const s = scripted(["hang"]);
    const err = await client(s.f, fakeClock(), { timeoutMs: 20, retries: 1 })
      .request("GET", "", undefined, AbortSignal.timeout(5000))
      .catch((e) => e);
    expect([err.code, err.transient, s.calls.length]).toEqual(["timeout", true, 2]);

    const h = scripted(["hang"]);
    const ac = new AbortController();
    const p = client(h.f).request("GET", "", undefined, ac.signal);
    ac.abort(new Error("stop"));
    expect((await p.catch((e) => e)).message).toBe("stop");
    expect(h.calls.length).toBe(1);
  });

  test("writes go one at a time; reads do not wait for them", async () => {
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const f = (async (_i: RequestInfo | URL, init?: RequestInit) => {
      const m = init?.method ?? "GET";
      if (m !== "GET") {
        active++;
        maxActive = Math.max(maxActive, active);
      }
      order.push(`start ${m}`);
      await Bun.sleep(m === "GET" ? 1 : 10);
      if (m !== "GET") active--;
      return new Response(null, { status: m === "GET" ? 200 : 204 });
    }) as typeof fetch;
    const c = client(f);
    const s = AbortSignal.timeout(1000);
    await Promise.all([
      c.request("PATCH", "/zones/a.", "{}", s),
      c.request("PATCH", "/zones/b.", "{}", s),
      c.request("GET", "/zones", undefined, s),
      c.request("PATCH", "/zones/c.", "{}", s),
    ]);
    expect(maxActive).toBe(1);
    expect(order.slice(0, 2).sort()).toEqual(["start GET", "start PATCH"]); // the read did not queue behind writes
  });
});
