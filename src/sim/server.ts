/**
 * The Proxmox VE API simulator: real HTTPS (node:https, so reason phrases carry Proxmox's
 * messages as on the wire), API-token auth (401 with an empty body), the endpoints the collector
 * uses, answers rendered from a mutable Scenario, per-kind latency, and injected faults.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { simCert } from "./cert.ts";
import { route } from "./routes.ts";
import type { Scenario, SimFault, SimGuest } from "./scenario.ts";
import { apiToken, send, streamHuge } from "./wire.ts";

export interface SimCalls {
  total: number;
  list: number;
  config: number;
  agent: number;
  interfaces: number;
  other: number;
  unauthorized: number;
  faults: number;
  /** Most authorized requests in progress at once (concurrency seen by the server). */
  maxInFlight: number;
}

export interface SimOptions {
  port?: number;
  hostname?: string;
  /** `user@realm!tokenid`; default `pipam@pve!sim`. */
  tokenId?: string;
  secret?: string;
  now?: () => number;
}

export interface ProxmoxSim {
  /** `https://127.0.0.1:<port>` (no /api2/json). */
  url: string;
  port: number;
  fingerprint: string;
  caPem: string;
  tokenId: string;
  secret: string;
  readonly calls: SimCalls;
  /** Authorized requests being answered right now. */
  readonly inFlight: number;
  readonly scenario: Scenario;
  resetCalls(): void;
  setScenario(s: Scenario): void;
  /** Change the scenario in place (add/remove/edit guests, faults, latency). */
  mutate(fn: (s: Scenario) => void): void;
  /** Restart a running guest (its uptime starts again from 0). */
  reboot(vmid: number): void;
  stop(): Promise<void>;
}

const zeroCalls = (): SimCalls => ({
  total: 0,
  list: 0,
  config: 0,
  agent: 0,
  interfaces: 0,
  other: 0,
  unauthorized: 0,
  faults: 0,
  maxInFlight: 0,
});
const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export async function startProxmoxSim(initial: Scenario, opts: SimOptions = {}): Promise<ProxmoxSim> {
  const cert = await simCert();
  const now = opts.now ?? (() => Date.now());
  const tokenId = opts.tokenId ?? "pipam@pve!sim";
  const secret = opts.secret ?? crypto.randomUUID();
  const started = now();
  let scenario = initial;
  let byId = new Map<number, SimGuest>();
  const bootAt = new Map<number, number>();
  const lastStatus = new Map<number, string>();
  const initialIds = new Set(initial.guests.map((g) => g.vmid));
  const applied = new Set<number>();
  let calls = zeroCalls();
  let inFlight = 0;

  const reindex = () => {
    byId = new Map(scenario.guests.map((g) => [g.vmid, g]));
  };
  reindex();

  const uptimeOf = (g: SimGuest, t: number): number => {
    if (g.status !== "running") {
      lastStatus.set(g.vmid, g.status);
      bootAt.delete(g.vmid);
      return 0;
    }
    let b = bootAt.get(g.vmid);
    const prev = lastStatus.get(g.vmid);
    // Guests of the initial scenario were already up `uptime` s at start; later ones boot when first listed.
    if (b === undefined)
      b =
        (prev === undefined && initialIds.has(g.vmid) ? started : t) -
        (prev === undefined ? (g.uptime ?? 0) * 1000 : 0);
    bootAt.set(g.vmid, b);
    lastStatus.set(g.vmid, g.status);
    return Math.max(0, Math.floor((t - b) / 1000));
  };

  const applyTimeline = () => {
    const tl = scenario.timeline;
    if (!tl) return;
    const elapsed = now() - started;
    tl.forEach((step, i) => {
      if (!applied.has(i) && elapsed >= step.afterMs) {
        applied.add(i);
        step.apply(scenario);
        reindex();
      }
    });
  };

  const authorized = (req: IncomingMessage): boolean => {
    const t = apiToken(req.headers.authorization);
    return t !== undefined && t.tokenId === tokenId && t.secret === secret;
  };

  const ok = (res: ServerResponse, data: unknown) => send(res, 200, "OK", JSON.stringify({ data }));
  const fail = (res: ServerResponse, status: number, message: string) =>
    send(
      res,
      status,
      message,
      JSON.stringify(
        scenario.messageInBody === false ? { data: null } : { data: null, message: `${message}\n` },
      ),
    );

  const matchFault = (path: string): SimFault | undefined => {
    for (const f of scenario.faults ?? []) {
      const hit = typeof f.path === "string" ? f.path === path : f.path.test(path);
      if (!hit || f.times === 0) continue;
      if (f.times !== undefined) f.times--;
      return f;
    }
    return undefined;
  };

  const kindOf = (path: string): keyof SimLatency => {
    if (path === "/cluster/resources") return "list";
    if (/\/agent\//.test(path)) return "agent";
    if (path.endsWith("/interfaces")) return "interfaces";
    if (path.endsWith("/config")) return "config";
    return "other";
  };
  type SimLatency = { list: number; config: number; agent: number; interfaces: number; other: number };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "https://sim");
    if (!u.pathname.startsWith("/api2/json/"))
      return fail(res, 501, `Method '${req.method} ${u.pathname}' not implemented`);
    const path = u.pathname.slice("/api2/json".length);
    calls.total++;
    if (!authorized(req)) {
      calls.unauthorized++;
      await sleep(scenario.authDelayMs ?? 0);
      return send(res, 401, req.headers.authorization ? "Authentication failed!" : "No ticket", "");
    }
    inFlight++;
    calls.maxInFlight = Math.max(calls.maxInFlight, inFlight);
    try {
      await serve(req, res, u, path);
    } finally {
      inFlight--;
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse, u: URL, path: string): Promise<void> {
    applyTimeline();
    const kind = kindOf(path);
    calls[kind]++;
    const fault = matchFault(path);
    if (fault) {
      calls.faults++;
      await sleep(fault.delayMs ?? 0);
      if (fault.hugeBytes !== undefined) return streamHuge(res, fault.hugeBytes);
      if (fault.status !== undefined || fault.body !== undefined) {
        return send(res, fault.status ?? 200, fault.reason, fault.body ?? "", fault.contentType);
      }
    }
    await sleep(scenario.latency?.[kind] ?? 0);
    if (req.method !== "GET") return fail(res, 501, `Method '${req.method} ${path}' not implemented`);
    const a = route(path, u.searchParams, {
      scenario,
      byId,
      fingerprint: cert.fingerprint,
      uptimeOf,
      now: now(),
    });
    if ("data" in a) return ok(res, a.data);
    if ("empty" in a) return send(res, a.status, a.reason, "");
    return fail(res, a.status, a.error);
  }

  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) fail(res, 500, `simulator error: ${String(err)}`);
      else res.destroy();
    });
  });
  const hostname = opts.hostname ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, hostname, () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    url: `https://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    fingerprint: cert.fingerprint,
    caPem: cert.caPem,
    tokenId,
    secret,
    get calls() {
      return calls;
    },
    get inFlight() {
      return inFlight;
    },
    get scenario() {
      return scenario;
    },
    resetCalls() {
      calls = zeroCalls();
    },
    setScenario(s) {
      scenario = s;
      applied.clear();
      reindex();
    },
    mutate(fn) {
      fn(scenario);
      reindex();
    },
    reboot(vmid) {
      bootAt.set(vmid, now());
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
