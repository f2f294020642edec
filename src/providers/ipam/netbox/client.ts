/**
 * Typed NetBox REST client: openapi-fetch over the types generated from NetBox's own schema
 * (schema.d.ts; regenerate with `bash scripts/gen-netbox-types.sh`, i.e.
 * `openapi-typescript ../shared/netbox/openapi-4.2.6.yaml -o src/providers/ipam/netbox/schema.d.ts`).
 *
 * - Auth: `Token <40 hex>` (v1) or `Bearer nbt_<key>.<token>` (v2, NetBox ≥ 4.5), chosen by the
 *   token's prefix; a value that already carries a keyword is sent as is.
 * - Lists: follows pagination (`limit`/`offset` rebuilt from our own base URL, since `next` may
 *   carry the wrong scheme/host behind a proxy) until a page comes back short or `next` is null.
 * - Bulk create (list POST with an array), bulk update (list PATCH with `id`s), bulk delete (list
 *   DELETE with `[{id}]`), in chunks. The 4.2 schema types these bodies wrongly (no `id`, single
 *   object), so bulk bodies are typed here by hand.
 * - Retries with exponential backoff + jitter on connection errors, timeouts and 5xx/429; a 4xx
 *   throws PipamError with NetBox's body in the message and `details.body`.
 */
import createClient from "openapi-fetch";
import { backoffMs, type Clock, type Rand, systemClock } from "../../../lib/clock.ts";
import { errorMessage, PipamError } from "../../../lib/errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { paths } from "./schema.d.ts";

export interface NetboxClientOptions {
  /** e.g. https://netbox.example.com (an /api suffix is stripped). */
  url: string;
  /** `0123…` (v1), `nbt_key.secret` (v2), or a full header value `Token …` / `Bearer …`. */
  token: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Items per bulk request (default 100). NetBox saves a bulk request object by object in one
   * transaction (with change logging), so large chunks can outlast the request timeout.
   */
  bulkSize?: number;
  /** Page size for lists (default 1000, NetBox's MAX_PAGE_SIZE). */
  pageSize?: number;
  logger: Logger;
  clock?: Clock;
  rand?: Rand;
  fetch?: typeof fetch;
}

/** List endpoints this client reads and writes. */
export type NbListPath =
  | "/api/extras/tags/"
  | "/api/virtualization/cluster-types/"
  | "/api/virtualization/clusters/"
  | "/api/virtualization/virtual-machines/"
  | "/api/virtualization/interfaces/"
  | "/api/dcim/mac-addresses/"
  | "/api/ipam/ip-addresses/";

export type NbQuery = Record<string, string | number | boolean | (string | number)[]>;

/** The result type of each list endpoint (from the generated schema). */
export type NbObject<P extends NbListPath> =
  paths[P]["get"]["responses"][200]["content"]["application/json"]["results"][number];

export interface NetboxClient {
  readonly baseUrl: string;
  /** Every object of a list endpoint matching the query (all pages). */
  list<P extends NbListPath>(path: P, query: NbQuery, signal: AbortSignal): Promise<NbObject<P>[]>;
  /** GET /api/status/ → the JSON and the API-Version header. */
  status(signal: AbortSignal): Promise<{ body: Record<string, unknown>; apiVersion: string | null }>;
  /** Bulk create: one list POST per chunk. Returns the created objects in order. */
  create<P extends NbListPath>(
    path: P,
    items: Record<string, unknown>[],
    signal: AbortSignal,
  ): Promise<NbObject<P>[]>;
  /** Bulk update: items carry `id`. */
  update<P extends NbListPath>(
    path: P,
    items: ({ id: number } & Record<string, unknown>)[],
    signal: AbortSignal,
  ): Promise<NbObject<P>[]>;
  /** Bulk delete by id. */
  remove(path: NbListPath, ids: number[], signal: AbortSignal): Promise<void>;
  /** Requests sent so far (retries included) by "METHOD path", and the write total. */
  stats(): { byKind: Record<string, number>; reads: number; writes: number };
}

/** The Authorization header value for a configured token. */
export function authHeader(token: string): string {
  const t = token.trim();
  if (/^(token|bearer)\s+/i.test(t)) return t;
  return t.startsWith("nbt_") ? `Bearer ${t}` : `Token ${t}`;
}

export function apiBase(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, "")
    .replace(/\/api$/, "");
}

/** NetBox's error body as short text. */
export function errorBody(body: unknown): string {
  const s = typeof body === "string" ? body : JSON.stringify(body);
  return (s ?? "").slice(0, 1000);
}

export function createNetboxClient(opts: NetboxClientOptions): NetboxClient {
  const baseUrl = apiBase(opts.url);
  const clock = opts.clock ?? systemClock;
  const rand = opts.rand ?? Math.random;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const retries = opts.retries ?? 4;
  const baseMs = opts.retryBaseMs ?? 250;
  const maxMs = opts.retryMaxMs ?? 5_000;
  const bulkSize = opts.bulkSize ?? 100;
  const pageSize = opts.pageSize ?? 1000;
  const byKind: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  const log = opts.logger;

  /** fetch with per-attempt timeout and retries for transient failures. */
  async function retryingFetch(input: Request): Promise<Response> {
    const path = new URL(input.url).pathname.replace(/\/\d+\/$/, "/{id}/");
    const kind = `${input.method} ${path}`;
    const body = input.method === "GET" || input.method === "HEAD" ? undefined : await input.text();
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await clock.sleep(backoffMs(attempt - 1, baseMs, maxMs, rand), input.signal);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (input.method === "GET") reads++;
      else writes++;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await doFetch(input.url, {
          method: input.method,
          headers: input.headers,
          body,
          signal: AbortSignal.any([input.signal, timeout]),
        });
        if (res.status >= 500 || res.status === 429) {
          const text = await res.text().catch(() => "");
          last = new PipamError("unavailable", `NetBox ${res.status} on ${kind}: ${text.slice(0, 300)}`, {
            transient: true,
            details: { status: res.status },
          });
          log.warn("netbox transient error", { request: kind, status: res.status, attempt });
          continue;
        }
        return res;
      } catch (e) {
        if (input.signal.aborted) throw input.signal.reason ?? e;
        const timedOut = timeout.aborted;
        // A write that timed out may have been committed: do not send it again (the next cycle re-reads).
        const retry = !(timedOut && input.method !== "GET");
        last = new PipamError(
          timedOut ? "timeout" : "unavailable",
          timedOut
            ? `NetBox did not answer ${kind} within ${timeoutMs} ms`
            : `NetBox unreachable (${kind}): ${errorMessage(e)}`,
          { transient: true, cause: e },
        );
        log.warn("netbox request failed", { request: kind, attempt, error: errorMessage(e) });
        if (!retry) break;
      }
    }
    throw last;
  }

  const api = createClient<paths>({
    baseUrl,
    fetch: retryingFetch,
    headers: { Authorization: authHeader(opts.token), Accept: "application/json" },
  });

  function fail(method: string, path: string, res: Response, body: unknown): never {
    const s = res.status;
    const code =
      s === 401 || s === 403
        ? s === 401
          ? "auth"
          : "forbidden"
        : s === 404
          ? "not_found"
          : s === 409
            ? "conflict"
            : "rejected";
    throw new PipamError(code, `NetBox ${s} on ${method} ${path}: ${errorBody(body)}`, {
      details: { status: s, body },
    });
  }

  /** openapi-fetch's untyped escape hatch for paths/bodies the 4.2 schema gets wrong. */
  type Any = (
    path: string,
    init: Record<string, unknown>,
  ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  const call = (method: "GET" | "POST" | "PATCH" | "DELETE") =>
    (api as unknown as Record<string, Any>)[method] as Any;

  const chunks = <T>(xs: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < xs.length; i += bulkSize) out.push(xs.slice(i, i + bulkSize));
    return out;
  };

  return {
    baseUrl,
    async list(path, query, signal) {
      const out: unknown[] = [];
      let offset = 0;
      for (let page = 0; page < 100_000; page++) {
        const q = { ...query, limit: pageSize, offset };
        const { data, error, response } = await call("GET")(path, { params: { query: q }, signal });
        if (error !== undefined || !response.ok) fail("GET", path, response, error);
        const body = data as { count?: number | null; next?: string | null; results?: unknown[] };
        if (!Array.isArray(body?.results)) {
          throw new PipamError("bad_response", `NetBox GET ${path}: no "results" array in the answer`);
        }
        out.push(...body.results);
        offset += body.results.length;
        if (!body.next || body.results.length === 0) break;
      }
      return out as never;
    },
    async status(signal) {
      const { data, error, response } = await api.GET("/api/status/", { signal });
      if (error !== undefined || !response.ok) fail("GET", "/api/status/", response, error);
      return {
        body: (data ?? {}) as Record<string, unknown>,
        apiVersion: response.headers.get("API-Version"),
      };
    },
    async create(path, items, signal) {
      const out: unknown[] = [];
      for (const c of chunks(items)) {
        const { data, error, response } = await call("POST")(path, { body: c, signal });
        if (error !== undefined || !response.ok) fail("POST", path, response, error);
        if (!Array.isArray(data) || data.length !== c.length) {
          throw new PipamError("bad_response", `NetBox POST ${path}: expected ${c.length} objects back`);
        }
        out.push(...data);
      }
      return out as never;
    },
    async update(path, items, signal) {
      const out: unknown[] = [];
      for (const c of chunks(items)) {
        const { data, error, response } = await call("PATCH")(path, { body: c, signal });
        if (error !== undefined || !response.ok) fail("PATCH", path, response, error);
        if (Array.isArray(data)) out.push(...data);
      }
      return out as never;
    },
    async remove(path, ids, signal) {
      for (const c of chunks(ids)) {
        const { error, response } = await call("DELETE")(path, { body: c.map((id) => ({ id })), signal });
        if (error !== undefined || !response.ok) fail("DELETE", path, response, error);
      }
    },
    stats: () => ({ byKind: { ...byKind }, reads, writes }),
  };
}
