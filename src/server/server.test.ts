import { afterAll, expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { createDemoStatusSource } from "./demo-status.ts";
import { createMetrics } from "./metrics.ts";
import { createServer } from "./server.ts";

const server = createServer({
  listen: "127.0.0.1:0",
  status: createDemoStatusSource({ guests: 10 }),
  ready: async () => [{ name: "config", ok: true, detail: "loaded" }],
  metrics: createMetrics({ defaultMetrics: false }),
  logger: silentLogger,
  rpcHandlers: new Map([["/rpc/Echo", async (req: Request) => new Response(await req.text())]]),
});
afterAll(() => server.stop());

test("serves the page, ops endpoints and RPC routes over real HTTP on loopback", async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.port).toBeGreaterThan(0);
  const page = await fetch(`${server.url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('id="guests"');
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  const echo = await fetch(`${server.url}/rpc/Echo`, { method: "POST", body: "hi" });
  expect(await echo.text()).toBe("hi");
});

test("a bad listen address is a config error naming the key", () => {
  expect(() =>
    createServer({
      listen: "nonsense",
      status: createDemoStatusSource(),
      ready: () => [],
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
    }),
  ).toThrow(/server\.listen/);
});

test("a port in use is an error naming the address", () => {
  expect(() =>
    createServer({
      listen: `127.0.0.1:${server.port}`,
      status: createDemoStatusSource(),
      ready: () => [],
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
    }),
  ).toThrow(/cannot listen/);
});

test("the same port speaks h2c (prior knowledge), as Connect peers use it", async () => {
  const { connect } = await import("node:http2");
  const session = connect(server.url);
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = session.request({ ":path": "/healthz", ":method": "GET" });
      let status = 0;
      let body = "";
      req.on("response", (h) => {
        status = Number(h[":status"]);
      });
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => resolve({ status, body }));
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(body).toBe("ok\n");
  } finally {
    session.close();
  }
});
