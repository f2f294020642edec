/**
 * @module The one fetch handler: Connect RPC routes (added by the cluster code through
 * `rpcHandlers`), the read-only status page and its htmx fragments, static assets, and the ops
 * endpoints `/healthz`, `/readyz`, `/metrics`. Tested with `handler(new Request(...))`, as in hono.
 */
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import { loadAssets } from "./assets.ts";
import { createTokenCheck } from "./auth.ts";
import type { Metrics } from "./metrics.ts";
import { readyz } from "./readyz.ts";
import { createRenderer, type TemplateName } from "./render.ts";
import { html, respond, text } from "./respond.ts";
import type { StatusSource } from "./status.ts";
import { FILTER_LABELS, helpers } from "./template-helpers.ts";
import {
  guestQueryString,
  PAGE_SIZE,
  pageGuests,
  parseGuestQuery,
  STATE_FILTERS,
  safeHttpUrl,
  summarize,
} from "./view.ts";

export { CONTENT_SECURITY_POLICY } from "./respond.ts";

export type RpcHandler = (req: Request) => Promise<Response>;
export type FetchHandler = (req: Request) => Promise<Response>;

export interface FetchHandlerOptions {
  status: StatusSource;
  /** Readiness checks for `/readyz`: config loaded, providers reachable, cluster has a leader. */
  ready: () => Promise<HealthCheck[]> | HealthCheck[];
  metrics: Metrics;
  /** When set, the page, fragments, `/metrics` and `/readyz` details need this token. */
  token?: string;
  /** Exact request path (e.g. "/pipam.v1.RaftService/Step") → handler. These bypass the web token. */
  rpcHandlers?: Map<string, RpcHandler>;
  logger: Logger;
  /** Epoch ms (default Date.now). */
  now?: () => number;
  version?: string;
  /** Give up on `ready()` after this long and answer 503 (default 5000). */
  readyTimeoutMs?: number;
  /** Guests per page (default 100). */
  pageSize?: number;
}

export function createFetchHandler(opts: FetchHandlerOptions): FetchHandler {
  const renderer = createRenderer();
  const assets = loadAssets();
  const tokens = createTokenCheck(opts.token);
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const assetVersions = {
    htmx: assets.get("/static/htmx.min.js")?.version ?? "",
    css: assets.get("/static/style.css")?.version ?? "",
    app: assets.get("/static/app.js")?.version ?? "",
    icon: assets.get("/static/favicon.svg")?.version ?? "",
  };
  const stateFilters = STATE_FILTERS.map((value) => ({ value, label: FILTER_LABELS[value] }));

  /** Template data; the guest page is only cut when the template shows guests. */
  function view(url: URL, withGuests = true) {
    const snap = opts.status.snapshot();
    const query = parseGuestQuery(url.searchParams);
    const page = withGuests
      ? pageGuests(snap.guests, query, opts.pageSize ?? PAGE_SIZE)
      : { query, rows: [], matched: 0, total: snap.guests.length, page: 1, pages: 1, from: 0, to: 0 };
    const leaderUrl = snap.node.role === "follower" ? safeHttpUrl(snap.node.leaderUrl) : undefined;
    return {
      snap,
      page,
      sum: summarize(snap),
      now: now(),
      h: helpers,
      leaderUrl,
      stateFilters,
      assets: assetVersions,
      version: opts.version ?? "dev",
      title: `pipam · ${snap.node.id} · ${snap.node.role}`,
    };
  }

  function renderHtml(
    req: Request,
    name: TemplateName,
    data: object,
    status = 200,
    extra: Record<string, string> = {},
  ) {
    const body = renderer.render(name, data);
    // Pages of 100 guests are ~150 KiB and refresh every 2 s: compress them (about 20:1).
    if (body.length > 2048 && /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) {
      return html(Bun.gzipSync(body), status, {
        ...extra,
        "content-encoding": "gzip",
        vary: "accept-encoding",
      });
    }
    return html(body, status, { ...extra, vary: "accept-encoding" });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    const rpc = opts.rpcHandlers?.get(path);
    if (rpc) return rpc(req);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return text("method not allowed: this server is read-only\n", 405, { allow: "GET, HEAD" });
    }
    if (path === "/healthz") return text("ok\n");
    const asset = assets.get(path);
    if (asset) {
      const gz = /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "");
      return respond(gz ? asset.gzip : asset.body, 200, {
        ...(gz ? { "content-encoding": "gzip" } : {}),
        vary: "accept-encoding",
        "content-type": asset.contentType,
        etag: `"${asset.version}"`,
        "cache-control":
          url.searchParams.get("v") === asset.version ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
    const auth = tokens.check(req, url);
    const authorised = auth !== "denied";
    if (path === "/readyz") return readyz(req, authorised, opts.ready, opts.readyTimeoutMs ?? 5000);
    if (auth === "query") {
      url.searchParams.delete("token");
      return respond(null, 303, {
        // one leading slash: "//host/..." would be a protocol-relative redirect elsewhere
        location: `/${url.pathname.replace(/^\/+/, "")}${url.search}`,
        "set-cookie": tokens.cookie(url.protocol === "https:"),
        "cache-control": "no-store",
      });
    }
    if (!authorised) {
      if (path === "/") {
        const wrong = url.searchParams.has("token");
        return renderHtml(req, "login", { ...view(url, false), wrong, title: "pipam · sign in" }, 401);
      }
      return text("unauthorised: a token is required\n", 401, { "www-authenticate": 'Bearer realm="pipam"' });
    }
    switch (path) {
      case "/metrics": {
        const m = await opts.metrics.render();
        return respond(m.body, 200, { "content-type": m.contentType, "cache-control": "no-store" });
      }
      case "/":
        return renderHtml(req, "page", view(url));
      case "/fragment/overview":
        return renderHtml(req, "overview", view(url, false));
      case "/fragment/guests": {
        const data = view(url);
        // A user action (typing, a page link) keeps the address bar shareable; the 2 s timer does not.
        const fromTimer = req.headers.get("hx-trigger") === "guests";
        const extra: Record<string, string> =
          req.headers.get("hx-request") && !fromTimer
            ? { "hx-replace-url": `/${guestQueryString(data.page.query, data.page.page)}` }
            : {};
        return renderHtml(req, "guests", data, 200, extra);
      }
      default:
        return text("not found\n", 404);
    }
  }

  return async (req) => {
    try {
      const res = await route(req);
      return req.method === "HEAD" ? new Response(null, { status: res.status, headers: res.headers }) : res;
    } catch (err) {
      log.error("http request failed", { path: new URL(req.url).pathname, err });
      return text("internal error\n", 500);
    }
  };
}
