/**
 * A strict NetBox 4.2.6 double: a Bun.serve HTTP server on 127.0.0.1 (port 0) implementing the
 * endpoints pipam uses (status, tags, cluster types, clusters, virtual machines, VM interfaces, MAC
 * addresses, IP addresses; list GET with filters and pagination, single and bulk POST, bulk PATCH,
 * bulk DELETE, detail GET/PATCH/DELETE).
 *
 * Every request is checked: auth (`Token <40 hex>` v1 and `Bearer nbt_<key>.<token>` v2, as
 * NetBox parses them), trailing slash, JSON content type, query parameters and bodies against the
 * OpenAPI schema (openapi.ts), then NetBox's model rules (store.ts). Every 4xx it answers that was
 * not an injected fault is recorded in `rejected`, so a test can assert the client sent nothing
 * NetBox would refuse. Faults: `down()`/`up()` (connection refused, same port), `failNext(n, status)`,
 * `rejectWhen(pred)` (a 400 for the items matching, as NetBox answers a bad object in a bulk call).
 */

import { checkAuth, listPage, Reject, toDrf } from "./list.ts";
import { loadNetboxSchema, type NetboxSchema } from "./openapi.ts";
import { createRender, LIST_PATHS } from "./render.ts";
import { createStore, DoubleError, type Kind, type Rec, type Store } from "./store.ts";

export interface RejectedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  status: number;
  /** NetBox's answer. */
  response: unknown;
  /** The request body (parsed JSON, or text), if any. */
  request?: unknown;
}

export interface NetboxDoubleOptions {
  /** Valid v1 token (40 hex). */
  token?: string;
  /** Valid v2 token, `nbt_<key>.<secret>`. */
  v2Token?: string;
  maxPageSize?: number;
}

export interface NetboxDouble {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly token: string;
  readonly v2Token: string;
  readonly store: Store;
  /** Requests NetBox would have refused (4xx not injected), oldest first. */
  readonly rejected: RejectedRequest[];
  /** Requests answered, by `METHOD /api/.../` (list or detail path with {id}). */
  readonly counts: Map<string, number>;
  /** Answers with injected faults. */
  readonly injected: RejectedRequest[];
  /** Forget counts, rejections and injected faults (not the data). */
  resetCounters(): void;
  /** Seeds an object directly (as if created by someone else); tags by slug. */
  seed(kind: Kind, body: Record<string, unknown>): Rec;
  /** Stop listening (clients get connection refused) / listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** After `after` requests (default 0), the next n requests get `status` (default 503) unprocessed. */
  failNext(n: number, status?: number, after?: number): void;
  /** Items of POST/PATCH bodies for which pred returns a message get a 400 (whole request refused). */
  rejectWhen(pred: ((path: string, item: Record<string, unknown>) => string | undefined) | undefined): void;
  stop(): Promise<void>;
}

const KIND_BY_PATH = new Map(Object.entries(LIST_PATHS).map(([k, p]) => [p, k as Kind]));
const MODEL: Record<Kind, string> = {
  tag: "Tag",
  clustertype: "ClusterType",
  cluster: "Cluster",
  vm: "VirtualMachine",
  iface: "VMInterface",
  mac: "MACAddress",
  ip: "IPAddress",
};
export async function createNetboxDouble(opts: NetboxDoubleOptions = {}): Promise<NetboxDouble> {
  const schema: NetboxSchema = loadNetboxSchema();
  const token = opts.token ?? "0123456789abcdef0123456789abcdef01234567";
  const v2Token = opts.v2Token ?? "nbt_abcdef123456.s3cr3tv2tokenvalue";
  const maxPage = opts.maxPageSize ?? 1000;
  const store = createStore();
  const rejected: RejectedRequest[] = [];
  const injected: RejectedRequest[] = [];
  const counts = new Map<string, number>();
  let failing = 0;
  let failStatus = 503;
  /** Requests still to answer normally before `failing` starts. */
  let failAfter = 0;
  let rejectPred: ((path: string, item: Record<string, unknown>) => string | undefined) | undefined;
  let base = "";
  const { render } = createRender(store, () => base);

  function json(status: number, body: unknown): Response {
    return new Response(status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", "API-Version": "4.2", Vary: "Accept" },
    });
  }

  async function readBody(req: Request): Promise<unknown> {
    const ct = req.headers.get("content-type") ?? "";
    if (!ct.toLowerCase().startsWith("application/json")) {
      throw new Reject(415, { detail: `Unsupported media type "${ct}" in request.` });
    }
    const text = await req.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Reject(400, { detail: `JSON parse error - ${(e as Error).message}` });
    }
  }

  function checkInjected(path: string, items: Record<string, unknown>[]) {
    if (!rejectPred) return;
    for (const it of items) {
      const msg = rejectPred(path, it);
      if (msg) throw Object.assign(new Reject(400, { __all__: [msg] }), { injected: true });
    }
  }

  function write(kind: Kind, method: string, path: string, body: unknown, id?: number): Response {
    const ep = schema.endpoint(LIST_PATHS[kind]);
    if (method === "POST") {
      const many = Array.isArray(body);
      const items = (many ? body : [body]) as Record<string, unknown>[];
      if (many && items.length === 0)
        throw new Reject(400, { non_field_errors: ["Expected a list of items but got an empty list."] });
      const errs = items.map((it) =>
        isObj(it) ? toDrf(ep.create(it)) : { non_field_errors: ["Invalid data. Expected a dictionary."] },
      );
      if (errs.some((e) => Object.keys(e).length > 0)) throw new Reject(400, many ? errs : errs[0]);
      checkInjected(path, items);
      const created = store.atomic(() => items.map((it) => store.create(kind, it)));
      const out = created.map((r) => render(kind, r));
      return json(201, many ? out : out[0]);
    }
    if (method === "PATCH") {
      const items = (id !== undefined ? [{ ...(body as object), id }] : body) as Record<string, unknown>[];
      if (!Array.isArray(items)) throw new Reject(400, { non_field_errors: ["Expected a list of items."] });
      const errs = items.map((it) => {
        if (!isObj(it)) return { non_field_errors: ["Invalid data. Expected a dictionary."] };
        if (!Number.isInteger(it.id)) return { id: ["This field is required."] };
        const { id: _id, ...rest } = it;
        return toDrf(ep.update(rest));
      });
      if (errs.some((e) => Object.keys(e).length > 0))
        throw new Reject(400, id !== undefined ? errs[0] : errs);
      checkInjected(path, items);
      if (id !== undefined && !store.get(kind, id)) throw notFound(kind);
      const updated = store.atomic(() =>
        items
          .filter((it) => store.get(kind, it.id as number))
          .map((it) => store.update(kind, it.id as number, it)),
      );
      const out = updated.map((r) => render(kind, r));
      return json(200, id !== undefined ? out[0] : out);
    }
    // DELETE
    if (id !== undefined) {
      if (!store.get(kind, id)) throw notFound(kind);
      store.atomic(() => store.remove(kind, id));
      return json(204, null);
    }
    if (!Array.isArray(body)) throw new Reject(400, { non_field_errors: ["Expected a list of items."] });
    for (const it of body) {
      if (!isObj(it) || !Number.isInteger(it.id) || Object.keys(it).some((k) => k !== "id")) {
        throw new Reject(400, {
          non_field_errors: [`Each item must be {"id": <int>}; got ${JSON.stringify(it)}`],
        });
      }
    }
    store.atomic(() => {
      for (const it of body as { id: number }[]) store.remove(kind, it.id);
    });
    return json(204, null);
  }

  const notFound = (kind: Kind) => new Reject(404, { detail: `No ${MODEL[kind]} matches the given query.` });

  async function handle(req: Request): Promise<Response> {
    const u = new URL(req.url);
    const detail = /^(.*\/)(\d+)\/$/.exec(u.pathname);
    const listPath = detail ? (detail[1] as string) : u.pathname;
    const id = detail ? Number(detail[2]) : undefined;
    const key = `${req.method} ${listPath}${detail ? "{id}/" : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (failing > 0 && failAfter > 0) failAfter--;
    else if (failing > 0) {
      failing--;
      injected.push({
        method: req.method,
        path: u.pathname + u.search,
        status: failStatus,
        response: "injected",
      });
      return new Response("<h1>Server Error</h1>", {
        status: failStatus,
        headers: { "Content-Type": "text/html" },
      });
    }
    let reqBody: unknown;
    try {
      checkAuth(req.headers.get("authorization"), token, v2Token);
      if (!u.pathname.endsWith("/"))
        throw new Reject(404, { detail: "Not found (NetBox paths end with /)." });
      if (u.pathname === "/api/status/" && req.method === "GET") {
        return json(200, {
          "django-version": "5.1.7",
          "installed-apps": {},
          "netbox-version": "4.2.6",
          "python-version": "3.12.3",
          plugins: {},
          "rq-workers-running": 1,
        });
      }
      const kind = KIND_BY_PATH.get(listPath);
      if (!kind) throw new Reject(404, { detail: "Not found." });
      if (req.method === "GET") {
        if (id === undefined) {
          return json(
            200,
            listPage({ store, schema, render, base, maxPage }, kind, u.searchParams, u.pathname),
          );
        }
        const r = store.get(kind, id);
        if (!r) throw notFound(kind);
        return json(200, render(kind, r));
      }
      if (u.search !== "") throw new Reject(400, { detail: "netbox-double: writes take no query string" });
      const m = req.method;
      if ((m === "POST" && id === undefined) || m === "PATCH" || m === "DELETE") {
        if (m !== "DELETE" || id === undefined) reqBody = await readBody(req);
        return write(kind, m, listPath, reqBody, id);
      }
      throw new Reject(405, { detail: `Method "${req.method}" not allowed.` });
    } catch (e) {
      const status = e instanceof Reject || e instanceof DoubleError ? e.status : 500;
      const body = e instanceof Reject || e instanceof DoubleError ? e.body : { error: String(e) };
      const entry: RejectedRequest = {
        method: req.method,
        path: u.pathname + u.search,
        status,
        response: body,
      };
      if (reqBody !== undefined) entry.request = reqBody;
      if ((e as { injected?: boolean }).injected) injected.push(entry);
      else rejected.push(entry);
      if (status === 500 && typeof body === "string") {
        return new Response(body, { status, headers: { "Content-Type": "text/html" } });
      }
      return json(status, body);
    }
  }

  let server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handle });
  const port = server.port;
  base = `http://127.0.0.1:${port}`;
  let running = true;

  return {
    url: base,
    token,
    v2Token,
    store,
    rejected,
    injected,
    counts,
    resetCounters() {
      rejected.length = 0;
      injected.length = 0;
      counts.clear();
    },
    seed(kind, body) {
      const b = { ...body };
      if (Array.isArray(b.tags))
        b.tags = (b.tags as unknown[]).map((t) => (typeof t === "string" ? { slug: t } : t));
      return store.create(kind, b);
    },
    async down() {
      if (!running) return;
      running = false;
      await server.stop(true);
    },
    async up() {
      if (running) return;
      server = Bun.serve({ hostname: "127.0.0.1", port, fetch: handle });
      running = true;
    },
    failNext(n, status = 503, after = 0) {
      failing = n;
      failStatus = status;
      failAfter = after;
    },
    rejectWhen(pred) {
      rejectPred = pred;
    },
    async stop() {
      if (running) await server.stop(true);
      running = false;
    },
  };
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
