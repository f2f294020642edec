/**
 * A small PowerDNS HTTP API client: base URL handling, the API key header, a per-request timeout,
 * retries with exponential backoff and jitter for transient failures (connection errors,
 * timeouts, 5xx — including gsqlite3's 500 "database is locked"), and one write at a time
 * (gsqlite3 fails concurrent writes). 4xx answers are returned to the caller, except 401/403,
 * which throw PipamError("auth"/"forbidden").
 */
import { backoffMs, type Clock, type Rand, systemClock } from "../../../lib/clock.ts";
import { errorMessage, PipamError } from "../../../lib/errors.ts";
import type { Logger } from "../../../log/logger.ts";

export interface PdnsClientOptions {
  /** http://host:port, with or without /api/v1 */
  url: string;
  apiKey: string;
  serverId?: string;
  timeoutMs?: number;
  /** Retries after the first attempt for transient failures. */
  retries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  logger: Logger;
  clock?: Clock;
  rand?: Rand;
  fetch?: typeof fetch;
}

export interface PdnsResponse {
  status: number;
  /** Response body as text ("" for 204). */
  text: string;
}

export interface PdnsClient {
  /** e.g. http://127.0.0.1:8081/api/v1/servers/localhost */
  readonly serverUrl: string;
  /** `path` is relative to serverUrl ("" or "/zones/…"). Throws PipamError on transient failure after retries. */
  request(method: string, path: string, body: string | undefined, signal: AbortSignal): Promise<PdnsResponse>;
  /** Write requests (anything but GET) sent so far, retries included. */
  writes(): number;
}

/** Strips trailing slashes and an /api/v1 suffix. */
export function apiBase(url: string): string {
  let u = url.trim().replace(/\/+$/, "");
  if (u.endsWith("/api/v1")) u = u.slice(0, -"/api/v1".length);
  else if (u.endsWith("/api")) u = u.slice(0, -"/api".length);
  return u;
}

/** The `error` field of a PowerDNS JSON error body, else the text itself. */
export function errorText(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown };
    if (typeof j.error === "string") return j.error;
  } catch {
    // not JSON (PowerDNS answers plain text for 400/401/404/409/500)
  }
  return text.trim().slice(0, 500);
}

export function createPdnsClient(opts: PdnsClientOptions): PdnsClient {
  const serverUrl = `${apiBase(opts.url)}/api/v1/servers/${encodeURIComponent(opts.serverId ?? "localhost")}`;
  const clock = opts.clock ?? systemClock;
  const rand = opts.rand ?? Math.random;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const retries = opts.retries ?? 5;
  const baseMs = opts.retryBaseMs ?? 200;
  const maxMs = opts.retryMaxMs ?? 5_000;
  let writeCount = 0;
  let writeLock: Promise<void> = Promise.resolve();

  /** One attempt: a response, or a transient PipamError. */
  async function once(method: string, url: string, body: string | undefined, signal: AbortSignal) {
    const timeout = AbortSignal.timeout(timeoutMs);
    if (method !== "GET") writeCount++;
    try {
      const res = await doFetch(url, {
        method,
        headers: {
          "X-API-Key": opts.apiKey,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      const text = await res.text();
      return { status: res.status, text };
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      if (timeout.aborted) {
        return new PipamError("timeout", `PowerDNS ${method} ${url}: no answer within ${timeoutMs} ms`, {
          transient: true,
        });
      }
      return new PipamError("unavailable", `PowerDNS ${method} ${url}: ${errorMessage(err)}`, {
        transient: true,
        cause: err,
      });
    }
  }

  async function attempt(method: string, path: string, body: string | undefined, signal: AbortSignal) {
    const url = `${serverUrl}${path}`;
    for (let i = 0; ; i++) {
      const r = await once(method, url, body, signal);
      let failure: PipamError;
      if (r instanceof PipamError) failure = r;
      else if (r.status >= 500) {
        failure = new PipamError(
          "unavailable",
          `PowerDNS ${method} ${url}: HTTP ${r.status} ${errorText(r.text)}`.trim(),
          { transient: true, details: { status: r.status } },
        );
      } else if (r.status === 401) {
        throw new PipamError("auth", `PowerDNS ${url}: HTTP 401, the API key was not accepted`, {
          details: { status: 401 },
        });
      } else if (r.status === 403) {
        throw new PipamError("forbidden", `PowerDNS ${url}: HTTP 403 (webserver-allow-from?)`, {
          details: { status: 403 },
        });
      } else return r;
      if (i >= retries) {
        throw new PipamError(failure.code, `${failure.message} (gave up after ${i + 1} attempts)`, {
          transient: true,
          cause: failure.cause ?? failure,
          details: { ...failure.details, attempts: i + 1 },
        });
      }
      const wait = backoffMs(i, baseMs, maxMs, rand);
      opts.logger.warn("powerdns request failed, retrying", {
        method,
        path,
        attempt: i + 1,
        wait_ms: wait,
        error: failure.message,
      });
      await clock.sleep(wait, signal);
    }
  }

  return {
    serverUrl,
    writes: () => writeCount,
    async request(method, path, body, signal) {
      if (method === "GET") return attempt(method, path, body, signal);
      const prev = writeLock;
      let release!: () => void;
      writeLock = new Promise<void>((r) => {
        release = r;
      });
      await prev;
      try {
        return await attempt(method, path, body, signal);
      } finally {
        release();
      }
    },
  };
}
