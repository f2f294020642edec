/**
 * HTTP client for one Proxmox VE API endpoint: API-token auth, TLS policy (see tls.ts), a
 * per-call timeout, bounded concurrency per Proxmox node, bounded bodies, and every failure
 * turned into a PipamError that names the endpoint, the call and what to do about it.
 */
import { type Clock, systemClock } from "../../lib/clock.ts";
import { errorMessage, PipamError } from "../../lib/errors.ts";
import { decodeText, httpError, MiB, parseEnvelope, readBody } from "./http.ts";
import { createSemaphore, type Semaphore } from "./semaphore.ts";
import {
  fetchTls,
  isTlsError,
  normalizeFingerprints,
  PIN_TTL_MS,
  peerCertificate,
  pinMismatch,
} from "./tls.ts";

export interface ProxmoxEndpoint {
  /** Cluster name in the inventory (`[[proxmox]] name`, "default" for a single `[proxmox]`). */
  name: string;
  /** `https://host:8006` (a trailing `/api2/json` is accepted). */
  url: string;
  /** `user@realm!tokenid`. */
  tokenId: string;
  secret: string;
  insecure: boolean;
  /** PEM file with the CA to trust (e.g. a copy of /etc/pve/pve-root-ca.pem). */
  caFile?: string;
  /** SHA-256 of the server certificate, hex, colons optional; several separated by commas. */
  fingerprint?: string;
  timeoutMs: number;
  concurrencyPerNode: number;
}

export interface GetOptions {
  /** The Proxmox node the call runs on: calls are limited per node. Undefined = the API host itself. */
  node?: string;
  /** Body cap (default 16 MiB; the guest list gets more). */
  maxBytes?: number;
}

export interface ProxmoxClient {
  readonly endpoint: ProxmoxEndpoint;
  /** GET `/api2/json<path>` and return its `data`. Throws PipamError. */
  get(path: string, signal: AbortSignal, opts?: GetOptions): Promise<unknown>;
  /** Requests sent so far (for logs and benchmarks). */
  readonly calls: number;
}

export const DEFAULT_MAX_BYTES = 16 * MiB;
const API_NODE = "\0api";
/** `user@realm!tokenname` (pve-access-control split_tokenid; the token name follows the realm regex). */
const TOKEN_ID = /^[^\s@!:]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/;

export function apiBase(url: string): string {
  const u = url.replace(/\/+$/, "");
  return u.endsWith("/api2/json") ? u : `${u}/api2/json`;
}

export function createProxmoxClient(ep: ProxmoxEndpoint, deps: { clock?: Clock } = {}): ProxmoxClient {
  const clock = deps.clock ?? systemClock;
  const base = apiBase(ep.url);
  const baseUrl = new URL(base);
  if (!TOKEN_ID.test(ep.tokenId)) {
    throw new PipamError(
      "config",
      `proxmox[${ep.name}]: token id ${JSON.stringify(ep.tokenId)} is not of the form user@realm!tokenname`,
    );
  }
  const pins = ep.fingerprint ? normalizeFingerprints(ep.fingerprint) : [];
  const auth = `PVEAPIToken=${ep.tokenId}=${ep.secret}`;
  const limit = Math.max(1, Math.floor(ep.concurrencyPerNode));
  const sems = new Map<string, Semaphore>();
  let ca: Promise<string | undefined> | undefined;
  let tlsOpt: Promise<Record<string, unknown>> | undefined;
  let pinCheck: { at: number; p: Promise<void> } | undefined;
  let calls = 0;

  const loadTls = () => {
    ca ??= ep.caFile
      ? Bun.file(ep.caFile)
          .text()
          .catch((err) => {
            throw new PipamError(
              "config",
              `proxmox[${ep.name}]: cannot read ca_file ${ep.caFile}: ${errorMessage(err)}`,
            );
          })
      : Promise.resolve(undefined);
    tlsOpt ??= ca.then((c) => fetchTls({ insecure: ep.insecure, ca: c, pins }));
    return tlsOpt;
  };

  // Pin without CA: verify the leaf on a separate handshake, at most every PIN_TTL_MS.
  const checkPin = (signal: AbortSignal): Promise<void> => {
    if (pins.length === 0 || ep.caFile) return Promise.resolve();
    const now = clock.now();
    if (!pinCheck || now - pinCheck.at >= PIN_TTL_MS) {
      const p = peerCertificate(baseUrl, signal, undefined, ep.timeoutMs).then((cert) => {
        if (!pins.includes(cert.fingerprint)) throw pinMismatch(baseUrl.host, cert.fingerprint, pins);
      });
      pinCheck = { at: now, p };
      p.catch(() => {
        if (pinCheck?.p === p) pinCheck = undefined;
      });
    }
    return pinCheck.p;
  };

  const sem = (node: string) => {
    let s = sems.get(node);
    if (!s) {
      s = createSemaphore(limit);
      sems.set(node, s);
    }
    return s;
  };

  let tlsReady: Record<string, unknown> | undefined;

  async function get(path: string, signal: AbortSignal, opts: GetOptions = {}): Promise<unknown> {
    const what = `proxmox[${ep.name}] GET ${path}`;
    if (tlsReady === undefined) tlsReady = await loadTls();
    const tlsOptions = tlsReady;
    if (pins.length > 0 && !ep.caFile) await checkPin(signal);
    const release = await sem(opts.node ?? API_NODE).acquire(signal);
    // One controller per call (cheaper than AbortSignal.timeout + any, whose timers outlive the call).
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error("timeout"));
    }, ep.timeoutMs);
    const onAbort = () => ac.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    calls++;
    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await fetch(`${base}${path}`, {
        headers: { Authorization: auth, Accept: "application/json" },
        signal: ac.signal,
        redirect: "error",
        tls: tlsOptions,
      } as RequestInit);
      bytes = await readBody(res, opts.maxBytes ?? DEFAULT_MAX_BYTES, what);
    } catch (err) {
      throw transportError(err, signal, what, timedOut);
    } finally {
      // The server's part is done once the body is in: free the node's slot before parsing.
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      release();
    }
    if (res.status < 200 || res.status > 299) {
      let body = "";
      try {
        body = decodeText(bytes, what);
      } catch {
        // an undecodable error body: the reason phrase is used instead
      }
      throw httpError(what, path, res.status, res.statusText, body);
    }
    return parseEnvelope(decodeText(bytes, what), res.headers.get("content-type"), what);
  }

  function transportError(err: unknown, signal: AbortSignal, what: string, timedOut: boolean): unknown {
    if (signal.aborted) return signal.reason;
    if (err instanceof PipamError) return err;
    if (timedOut) {
      return new PipamError("timeout", `${what}: no complete answer within ${ep.timeoutMs} ms`, {
        transient: true,
        cause: err,
      });
    }
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof PipamError) return cause;
    if (isTlsError(err)) {
      return new PipamError(
        "rejected",
        `${what}: TLS certificate not trusted (${errorMessage(err)}): set ca_file to the cluster CA (/etc/pve/pve-root-ca.pem), pin its fingerprint, or set insecure = true`,
        { cause: err },
      );
    }
    return new PipamError("unavailable", `${what}: cannot connect to ${baseUrl.host}: ${errorMessage(err)}`, {
      transient: true,
      cause: err,
    });
  }

  return {
    endpoint: ep,
    get,
    get calls() {
      return calls;
    },
  };
}
