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
import { loadNetboxSchema, type NetboxSchema } from "./openapi.ts";
import { createRender, LIST_PATHS } from "./render.ts";
import { createStore, DoubleError, IFACE_TYPE, type Kind, parseCidr, type Rec, type Store } from "./store.ts";

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
  /** The next n requests get `status` (default 503) without being processed. */
  failNext(n: number, status?: number): void;
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
/** Filters the double implements, per kind (anything else the schema allows gets a loud 400). */
const FILTERS: Record<Kind, string[]> = {
  tag: ["id", "name", "slug"],
  clustertype: ["id", "name", "slug", "tag"],
  cluster: ["id", "name", "type_id", "tag"],
  vm: ["id", "name", "tag", "cluster_id", "cluster_id__n", "description"],
  iface: ["id", "name", "tag", "virtual_machine_id", "cluster_id", "cluster_id__n"],
  mac: ["id", "tag", "virtual_machine_id", "vminterface_id", "mac_address"],
  ip: ["id", "tag", "virtual_machine_id", "vminterface_id", "address"],
};
const PAGING = new Set(["limit", "offset", "ordering", "brief", "fields", "omit", "exclude"]);

class Reject extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body));
  }
}

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
  let rejectPred: ((path: string, item: Record<string, unknown>) => string | undefined) | undefined;
  let base = "";
  const { render } = createRender(store, () => base);

  function json(status: number, body: unknown): Response {
    return new Response(status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", "API-Version": "4.2", Vary: "Accept" },
    });
  }

  function auth(req: Request): void {
    const h = req.headers.get("authorization");
    if (!h) throw new Reject(403, { detail: "Authentication credentials were not provided." });
    const m = /^(\S+)\s+(.+)$/.exec(h.trim());
    const keyword = m?.[1]?.toLowerCase();
    if (!m || (keyword !== "token" && keyword !== "bearer")) {
      throw new Reject(403, { detail: "Authentication credentials were not provided." });
    }
    const value = m[2] as string;
    if (value.startsWith("nbt_")) {
      if (!value.includes(".")) {
        throw new Reject(403, {
          detail:
            "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?",
        });
      }
      // 4.2.6 has no v2 tokens; the double accepts them so clients for 4.5+ can be tested too.
      if (value !== v2Token) throw new Reject(403, { detail: "Invalid v2 token" });
      return;
    }
    if (value !== token) throw new Reject(403, { detail: "Invalid v1 token" });
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

  function list(kind: Kind, q: URLSearchParams, pathname: string): Response {
    const issues = schema.endpoint(LIST_PATHS[kind]).query(q);
    if (issues.length > 0) throw new Reject(400, toDrf(issues));
    for (const name of new Set(q.keys())) {
      if (!PAGING.has(name) && !FILTERS[kind].includes(name)) {
        throw new Reject(400, {
          [name]: [`netbox-double: filter "${name}" is valid for NetBox but not implemented here`],
        });
      }
    }
    let ids: Iterable<number> = store.maps[kind].keys();
    const tagSlugs = q.getAll("tag");
    if (tagSlugs.length > 0) {
      const tagIds = tagSlugs.map((s) => {
        const id = store.tagIdBySlug(s);
        if (id === undefined)
          throw new Reject(400, {
            tag: [`Select a valid choice. ${s} is not one of the available choices.`],
          });
        return id;
      });
      const sets = tagIds.map((t) => store.group(kind, `tag:${t}`));
      ids = [...(sets[0] as Set<number>)].filter((id) => sets.every((s) => s.has(id)));
    }
    const ints = (name: string) => q.getAll(name).map(Number);
    const vmIds = ints("virtual_machine_id");
    for (const v of vmIds) {
      if (!store.get("vm", v)) {
        throw new Reject(400, {
          virtual_machine_id: [`Select a valid choice. ${v} is not one of the available choices.`],
        });
      }
    }
    const ifaceIdsOfVms = new Set<number>();
    for (const v of vmIds) for (const i of store.group("iface", `vm:${v}`)) ifaceIdsOfVms.add(i);
    const hosts = q.getAll("address").map((a) => {
      const p = parseCidr(a);
      if (!p) throw new Reject(400, { address: [`Enter a valid IPv4 or IPv6 address: ${a}`] });
      return p.ip.toString();
    });
    const want = (name: string) => q.getAll(name);
    const out: Rec[] = [];
    for (const id of ids) {
      const r = store.get(kind, id) as Rec;
      if (q.has("id") && !ints("id").includes(r.id)) continue;
      if (q.has("name")) {
        const n = String(r.name);
        const ok =
          kind === "vm"
            ? want("name").some((x) => x.toLowerCase() === n.toLowerCase())
            : want("name").includes(n);
        if (!ok) continue;
      }
      if (q.has("slug") && !want("slug").includes(String(r.slug))) continue;
      if (q.has("description") && !want("description").includes(String(r.description))) continue;
      if (q.has("type_id") && !ints("type_id").includes(r.type as number)) continue;
      if (q.has("cluster_id") || q.has("cluster_id__n")) {
        const c = kind === "iface" ? store.get("vm", r.virtual_machine as number)?.cluster : r.cluster;
        if (q.has("cluster_id") && !ints("cluster_id").includes(c as number)) continue;
        if (q.has("cluster_id__n") && ints("cluster_id__n").includes(c as number)) continue;
      }
      if (vmIds.length > 0) {
        const ok =
          kind === "iface"
            ? vmIds.includes(r.virtual_machine as number)
            : r.assigned_object_type === IFACE_TYPE && ifaceIdsOfVms.has(r.assigned_object_id as number);
        if (!ok) continue;
      }
      if (q.has("vminterface_id")) {
        if (
          r.assigned_object_type !== IFACE_TYPE ||
          !ints("vminterface_id").includes(r.assigned_object_id as number)
        )
          continue;
      }
      if (hosts.length > 0 && !hosts.includes(parseCidr(String(r.address))?.ip.toString() ?? "")) continue;
      if (q.has("mac_address") && !want("mac_address").some((m) => m.toUpperCase() === r.mac_address))
        continue;
      out.push(r);
    }
    out.sort((a, b) => a.id - b.id);
    let limit = q.has("limit") ? Number(q.get("limit")) : 50;
    if (limit <= 0 || limit > maxPage) limit = maxPage;
    const offset = q.has("offset") ? Math.max(0, Number(q.get("offset"))) : 0;
    const page = out.slice(offset, offset + limit);
    const link = (o: number) => {
      const n = new URLSearchParams(q);
      n.set("limit", String(limit));
      n.set("offset", String(o));
      return `${base}${pathname}?${n.toString()}`;
    };
    const cc = !(q.getAll("exclude").includes("config_context") || q.has("brief"));
    return json(200, {
      count: out.length,
      next: offset + limit < out.length ? link(offset + limit) : null,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      results: page.map((r) => render(kind, r, { configContext: cc })),
    });
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
    if (failing > 0) {
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
      auth(req);
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
        if (id === undefined) return list(kind, u.searchParams, u.pathname);
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
    failNext(n, status = 503) {
      failing = n;
      failStatus = status;
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

function toDrf(issues: { field: string; message: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of issues) {
    const f = i.field || "non_field_errors";
    out[f] = [...(out[f] ?? []), i.message];
  }
  return out;
}
