import { describe, expect, test } from "bun:test";
import type { HealthCheck } from "../lib/health.ts";
import { silentLogger } from "../log/logger.ts";
import { createDemoStatusSource, demoGuest } from "./demo-status.ts";
import { CONTENT_SECURITY_POLICY, createFetchHandler, type FetchHandlerOptions } from "./handler.ts";
import { createMetrics } from "./metrics.ts";
import { parsePrometheusText } from "./prom-text.ts";
import { emptySnapshot, type GuestView } from "./status.ts";

const NOW = 1_700_000_000_000;
const XSS = "<img src=x onerror=alert(1)>";

function xssGuest(): GuestView {
  return {
    ...demoGuest(5000),
    key: "pve/9999",
    vmid: 9999,
    name: XSS,
    node: `"><script>alert(2)</script>`,
    error: "read failed: Authorization: PVEAPIToken=root@pam!pipam=0123-4567-89ab",
  };
}

function setup(extra: Partial<FetchHandlerOptions> = {}) {
  const status = createDemoStatusSource({ guests: 250, now: NOW });
  status.addGuest(xssGuest());
  let checks: HealthCheck[] | (() => Promise<HealthCheck[]>) = [
    { name: "config", ok: true, detail: "loaded" },
  ];
  const metrics = createMetrics({ version: "1.2.3" });
  const handler = createFetchHandler({
    status,
    metrics,
    logger: silentLogger,
    now: () => NOW,
    readyTimeoutMs: 200,
    ready: () => (typeof checks === "function" ? checks() : checks),
    ...extra,
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    handler(new Request(`http://pipam.test${path}`, { headers }));
  return { status, metrics, handler, get, setChecks: (c: typeof checks) => (checks = c) };
}

/** Visible guest names in an HTML fragment. */
function names(html: string): string[] {
  return [...html.matchAll(/<div class="gname">(.*?)<\/div>/g)].map((m) => m[1]!);
}

describe("status page", () => {
  const s = setup();

  test("renders with a strict CSP and security headers", async () => {
    const res = await s.get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.text();
    expect(body).toContain('<script src="/static/htmx.min.js?v=');
    expect(body).toContain("includeIndicatorStyles");
    // no inline script or style anywhere: the CSP would block them
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(body).not.toMatch(/<style\b|\sstyle="/);
    expect(body).not.toMatch(/https?:\/\/(?!pipam\.test)[a-z]/i); // no CDN or other origin
  });

  test("escapes guest data: the XSS guest is text", async () => {
    const body = await (await s.get("/?q=9999")).text();
    expect(body).not.toContain(XSS);
    expect(body).not.toContain("<script>alert(2)");
    expect(body).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(body).toContain("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
  });

  test("never renders a secret found in an error", async () => {
    const body = await (await s.get("/?q=9999")).text();
    expect(body).toContain("read failed");
    expect(body).not.toContain("0123-4567-89ab");
    expect(body).toContain("[redacted]");
  });

  test("paginates 100 guests a page, sorted by name", async () => {
    const p1 = names(await (await s.get("/fragment/guests")).text());
    expect(p1).toHaveLength(100);
    const natural = (a: string, b: string) =>
      a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });
    expect([...p1].sort(natural)).toEqual(p1);
    const p3Body = await (await s.get("/fragment/guests?page=3")).text();
    const p3 = names(p3Body);
    expect(p3).toHaveLength(51); // 251 guests
    expect(p3Body).toContain("201–251");
    expect(p3.some((n) => p1.includes(n))).toBe(false);
    // past the end → the last page
    expect(names(await (await s.get("/fragment/guests?page=99")).text())).toEqual(p3);
    expect(names(await (await s.get("/fragment/guests?page=-4")).text())).toEqual(p1);
  });

  test("filters by text (name, IP, DNS name) and by state", async () => {
    const byName = names(await (await s.get("/fragment/guests?q=WEB1")).text());
    expect(byName.length).toBeGreaterThan(0);
    expect(byName.every((n) => n.startsWith("web1"))).toBe(true);
    const byIp = await (await s.get("/fragment/guests?q=10.0.0.42")).text();
    expect(names(byIp)).toEqual([s.status.snapshot().guests[42]!.name]);
    const failed = await (await s.get("/fragment/guests?state=failed")).text();
    const expectFailed = s.status
      .snapshot()
      .guests.filter((g) => g.dns.some((d) => d.state === "failed")).length;
    expect(expectFailed).toBeGreaterThan(0);
    expect(failed).toContain(`of <strong>${expectFailed}</strong> matching`);
    expect(failed).not.toContain('class="row-in-sync"');
    const none = await (await s.get("/fragment/guests?q=no-such-guest")).text();
    expect(names(none)).toEqual([]);
    expect(none).toContain("No guest matches");
  });

  test("a user's filter request rewrites the URL; the timer's does not", async () => {
    const user = await s.get("/fragment/guests?q=db&page=1", {
      "hx-request": "true",
      "hx-trigger": "guest-q",
    });
    expect(user.headers.get("hx-replace-url")).toBe("/?q=db");
    const timer = await s.get("/fragment/guests?page=2", { "hx-request": "true", "hx-trigger": "guests" });
    expect(timer.headers.get("hx-replace-url")).toBeNull();
  });

  test("overview fragment shows cycles, providers, conflicts; follower links to a safe leader URL", async () => {
    const o = await (await s.get("/fragment/overview")).text();
    expect(o).toContain('id="overview"');
    expect(o).toContain("proxmox[lab]");
    expect(o).toContain("Recent cycles");
    expect(o).toContain("web1.example.com.");
    const f = setup();
    f.status.update({
      mode: "cluster",
      node: { id: "2", role: "follower", leaderId: "1", leaderUrl: "http://10.1.0.1:9180/", term: 3 },
    });
    expect(await (await f.get("/fragment/overview")).text()).toContain('href="http://10.1.0.1:9180/"');
    f.status.update({ node: { id: "2", role: "follower", leaderId: "1", leaderUrl: "javascript:alert(1)" } });
    const bad = await (await f.get("/fragment/overview")).text();
    expect(bad).not.toContain("javascript:");
    expect(bad).toContain("Leader: node <strong>1</strong>");
  });

  test("serves embedded assets with versions; read-only; unknown paths 404", async () => {
    const page = await (await s.get("/")).text();
    const v = /htmx\.min\.js\?v=([a-z0-9]+)/.exec(page)![1]!;
    const js = await s.get(`/static/htmx.min.js?v=${v}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await js.text()).toContain("htmx");
    const css = await s.get("/static/style.css");
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(await css.text()).toContain("prefers-color-scheme: dark");
    const gz = await s.get(`/static/htmx.min.js?v=${v}`, { "accept-encoding": "gzip, br" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    const page1 = await s.get("/", { "accept-encoding": "gzip" });
    expect(page1.headers.get("content-encoding")).toBe("gzip");
    const raw = new Uint8Array(await page1.arrayBuffer());
    // fetch(Request) through the handler does not decode: the bytes are gzip, and decode to the page
    expect(new TextDecoder().decode(Bun.gunzipSync(raw))).toContain('id="guests"');
    const post = await s.handler(new Request("http://pipam.test/", { method: "POST", body: "x" }));
    expect(post.status).toBe(405);
    expect((await s.get("/nope")).status).toBe(404);
    const head = await s.handler(new Request("http://pipam.test/healthz", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});

describe("ops endpoints", () => {
  const s = setup();

  test("/healthz", async () => {
    const res = await s.get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  test("/readyz: 200 when every check passes, 503 when one fails, throws or hangs", async () => {
    s.setChecks([
      { name: "config", ok: true, detail: "loaded" },
      { name: "powerdns", ok: true, detail: "reachable" },
    ]);
    let res = await s.get("/readyz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ready\n✓ config: loaded\n✓ powerdns: reachable\n");
    s.setChecks([
      { name: "config", ok: true, detail: "loaded" },
      { name: "cluster leader", ok: false, detail: "no leader", hint: "check peers" },
    ]);
    res = await s.get("/readyz?format=json");
    expect(res.status).toBe(503);
    const json = (await res.json()) as { ready: boolean; checks: HealthCheck[] };
    expect(json.ready).toBe(false);
    expect(json.checks.map((c) => c.ok)).toEqual([true, false]);
    s.setChecks(() => Promise.reject(new Error("boom")));
    res = await s.get("/readyz");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("✗ readiness checks: boom");
    s.setChecks(() => new Promise<HealthCheck[]>(() => {}));
    res = await s.get("/readyz");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("timed out");
    s.setChecks([]);
    expect((await s.get("/readyz")).status).toBe(503);
  });

  test("/metrics is valid Prometheus exposition with every pipam metric", async () => {
    const m = s.metrics;
    m.cycleDuration.observe({ kind: "reconcile" }, 0.42);
    m.cycleDuration.observe({ kind: "reconcile" }, 3);
    m.changesApplied.inc({ provider: "powerdns", type: "A", op: "create" }, 5);
    m.errors.inc({ provider: 'netbox "eu"\\1', stage: "apply" });
    m.conflicts.set({ kind: "fqdn" }, 2);
    m.guests.set({ cluster: "pve" }, 251);
    m.raftTerm.set(7);
    m.raftCommitIndex.set(100);
    m.raftAppliedIndex.set(99);
    m.raftIsLeader.set(1);
    m.raftHasLeader.set(1);
    m.providerRequestDuration.observe({ provider: "powerdns", operation: "patch", outcome: "ok" }, 0.02);
    const res = await s.get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const r = parsePrometheusText(await res.text());
    if (r.error !== undefined) throw new Error(r.error);
    const f = r.families;
    const value = (fam: string, sample: string, labels: Record<string, string> = {}) =>
      f
        .get(fam)
        ?.samples.find(
          (x) => x.name === sample && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
        )?.value;
    expect(f.get("pipam_cycle_duration_seconds")?.type).toBe("histogram");
    expect(
      value("pipam_cycle_duration_seconds", "pipam_cycle_duration_seconds_count", { kind: "reconcile" }),
    ).toBe(2);
    expect(value("pipam_cycle_duration_seconds", "pipam_cycle_duration_seconds_bucket", { le: "0.5" })).toBe(
      1,
    );
    expect(
      value("pipam_changes_applied_total", "pipam_changes_applied_total", { provider: "powerdns" }),
    ).toBe(5);
    expect(value("pipam_errors_total", "pipam_errors_total", { provider: 'netbox "eu"\\1' })).toBe(1);
    expect(value("pipam_conflicts", "pipam_conflicts", { kind: "fqdn" })).toBe(2);
    expect(value("pipam_guests", "pipam_guests", { cluster: "pve" })).toBe(251);
    expect(value("pipam_raft_term", "pipam_raft_term")).toBe(7);
    expect(value("pipam_raft_commit_index", "pipam_raft_commit_index")).toBe(100);
    expect(value("pipam_raft_applied_index", "pipam_raft_applied_index")).toBe(99);
    expect(value("pipam_raft_is_leader", "pipam_raft_is_leader")).toBe(1);
    expect(value("pipam_raft_has_leader", "pipam_raft_has_leader")).toBe(1);
    expect(f.get("pipam_provider_request_duration_seconds")?.type).toBe("histogram");
    expect(value("pipam_build_info", "pipam_build_info", { version: "1.2.3" })).toBe(1);
    expect(f.has("process_cpu_seconds_total")).toBe(true);
  });
});

describe("token", () => {
  const TOKEN = "s3cret-token-value";
  const s = setup({ token: TOKEN });

  test("without a token: login page, 401 on fragments and metrics; healthz open; readyz status only", async () => {
    const page = await s.get("/");
    expect(page.status).toBe(401);
    const body = await page.text();
    expect(body).toContain('name="token"');
    expect(body).not.toContain("web1");
    expect((await s.get("/fragment/guests")).status).toBe(401);
    expect((await s.get("/metrics")).status).toBe(401);
    expect((await s.get("/healthz")).status).toBe(200);
    const ready = await s.get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ready\n");
    expect((await s.get("/", { authorization: "Bearer wrong" })).status).toBe(401);
    const wrong = await s.get("/?token=wrong");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("not valid");
  });

  test("bearer header works; ?token= sets a cookie (not the token) and redirects it out of the URL", async () => {
    const bearer = await s.get("/metrics", { authorization: `Bearer ${TOKEN}` });
    expect(bearer.status).toBe(200);
    const q = await s.get(`/?q=db&token=${TOKEN}`);
    expect(q.status).toBe(303);
    expect(q.headers.get("location")).toBe("/?q=db");
    const setCookie = q.headers.get("set-cookie")!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0]!;
    const withCookie = await s.get("/fragment/guests?q=db", { cookie: `other=1; ${cookie}` });
    expect(withCookie.status).toBe(200);
    expect(await withCookie.text()).not.toContain(TOKEN);
    const open = await s.get(`//evil.example/?token=${TOKEN}`);
    expect(open.headers.get("location")).toBe("/evil.example/");
    const tampered = await s.get("/fragment/guests", { cookie: `${cookie.slice(0, -1)}0` });
    expect(tampered.status).toBe(401);
    const page = await (await s.get("/", { cookie })).text();
    expect(page).not.toContain(TOKEN);
  });
});

describe("rpc handlers", () => {
  test("exact paths go to the RPC handler, any method, without the web token", async () => {
    const seen: string[] = [];
    const rpcHandlers = new Map([
      [
        "/pipam.v1.RaftService/Step",
        async (req: Request) => {
          seen.push(`${req.method} ${await req.text()}`);
          return new Response("pong", { status: 200 });
        },
      ],
    ]);
    const s = setup({ token: "t0ken-123", rpcHandlers });
    const res = await s.handler(
      new Request("http://pipam.test/pipam.v1.RaftService/Step", { method: "POST", body: "ping" }),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("pong");
    expect(seen).toEqual(["POST ping"]);
    expect((await s.get("/pipam.v1.RaftService/Other")).status).toBe(401);
  });
});

describe("failures", () => {
  test("a status source that throws gives 500 without details, and is logged", async () => {
    const logged: string[] = [];
    const logger = {
      ...silentLogger,
      error: (msg: string, f?: Record<string, unknown>) => {
        logged.push(`${msg} ${String(f?.err)}`);
      },
    };
    const handler = createFetchHandler({
      status: {
        snapshot: () => {
          throw new Error("db is gone: password=hunter2");
        },
      },
      ready: () => [],
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
    });
    const res = await handler(new Request("http://pipam.test/fragment/guests"));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error\n");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("db is gone");
    expect((await handler(new Request("http://pipam.test/healthz"))).status).toBe(200);
  });
});

test("an empty single-node snapshot renders (before the first cycle)", async () => {
  const handler = createFetchHandler({
    status: { snapshot: () => emptySnapshot("pipam1") },
    ready: () => [],
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
  const res = await handler(new Request("http://pipam.test/"));
  expect(res.status).toBe(200);
  const body = await res.text();
  expect(body).toContain("No guests yet");
  expect(body).toContain("No cycle has run yet.");
  expect(body).not.toContain("Peers");
  expect(body).toContain("pipam1");
});
