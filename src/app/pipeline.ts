/**
 * What single-node and cluster mode share: the reconciler with its source and providers, the
 * status page source, metrics, provider health, and the loop + servers around them. Each mode
 * passes its StateStore (memory / replicated), its node view, and its extra RPC services.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { HealthCheck } from "../lib/health.ts";
import { startGrpcServer } from "../raft/transport/grpc-server.ts";
import { rpcHandlers } from "../raft/transport/rpc-handlers.ts";
import { runLoop } from "../reconcile/loop.ts";
import { type CycleReport, createReconciler, type Reconciler } from "../reconcile/reconciler.ts";
import type { StateStore } from "../reconcile/store.ts";
import { createMetrics, type Metrics } from "../server/metrics.ts";
import { createServer, type RunningServer } from "../server/server.ts";
import type { NodeView, PeerView } from "../server/status.ts";
import type { DaemonOptions } from "./daemon.ts";
import { createSource } from "./daemon.ts";
import { dnsTarget } from "./dns.ts";
import { ipamTarget } from "./ipam.ts";
import { recordCycle } from "./metrics.ts";
import { createStatusSource, type LiveStatus } from "./status-source.ts";

export interface Pipeline {
  reconciler: Reconciler;
  status: LiveStatus;
  metrics: Metrics;
  lastReport(): CycleReport | undefined;
  /** PowerDNS and NetBox checks (for the admin API). */
  providerHealth(signal: AbortSignal): Promise<HealthCheck[]>;
  /** Wakes the loop (admin "reconcile now", a new leader); a no-op until the loop runs. */
  wake(full: boolean): void;
  /** The loop registers its wake-up here. */
  bindWake(fn: (full: boolean) => void): void;
}

export async function buildPipeline(
  opts: DaemonOptions,
  store: StateStore,
  view: { mode: "single" | "cluster"; node: () => NodeView; peers?: () => PeerView[] },
): Promise<Pipeline> {
  const { config, logger } = opts;
  const source = await createSource(config, logger);
  const dns = dnsTarget(config, logger);
  const ipam = ipamTarget(config, logger);
  if (!dns && !ipam) logger.warn("neither [dns.powerdns] nor [ipam.netbox] configured: collecting only");
  const metrics = createMetrics({ version: opts.version, commit: opts.commit });
  const status = createStatusSource({ store, ...view });
  let last: CycleReport | undefined;
  let wakeFn: ((full: boolean) => void) | undefined;
  const reconciler = createReconciler({
    source,
    dns,
    ipam,
    store,
    clock: systemClock,
    logger,
    onCycle: (r) => {
      last = r;
      status.record(r);
      recordCycle(metrics, r, store.state().guests.values());
      const fields = {
        full: r.full,
        guests: r.guests,
        changes: r.changes.create.length + r.changes.updateNew.length + r.changes.delete.length,
        conflicts: r.conflicts.length,
        ms: r.durationMs,
      };
      if (r.errors.length > 0)
        logger.warn("cycle finished with errors", { ...fields, errors: r.errors.slice(0, 5) });
      else logger.debug("cycle finished", fields);
      if (r.dryRun) logger.info("dry run: planned changes", { changes: r.changes, netbox: r.ipam?.changes });
    },
  });
  const guard = (name: string, p: Promise<HealthCheck[]>) =>
    p.catch((e): HealthCheck[] => [{ name, ok: false, detail: errorMessage(e) }]);
  return {
    reconciler,
    status,
    metrics,
    lastReport: () => last,
    providerHealth: async (sig) =>
      (
        await Promise.all([
          dns ? guard("powerdns", dns.provider.health(sig)) : [],
          ipam ? guard("netbox", ipam.provider.health(sig)) : [],
        ])
      ).flat(),
    wake: (full) => wakeFn?.(full),
    bindWake: (fn) => {
      wakeFn = fn;
    },
  };
}

export interface ServeOptions {
  routes: (router: ConnectRouter) => void;
  ready: () => HealthCheck[];
  /** Extra addresses serving the same handler (cluster: raft.listen_addr). */
  extraListen?: string[];
}

/** The HTTP server(s) and the optional native gRPC port; returns a stop function. */
export async function serve(
  opts: DaemonOptions,
  p: Pipeline,
  s: ServeOptions,
): Promise<{ url: string; stop(): Promise<void> }> {
  const { config, logger } = opts;
  const serverOpts = {
    status: p.status,
    metrics: p.metrics,
    token: config.server.token,
    logger,
    version: opts.version,
    rpcHandlers: rpcHandlers(s.routes),
    ready: s.ready,
  };
  const servers: RunningServer[] = [createServer({ ...serverOpts, listen: config.server.listen })];
  for (const l of s.extraListen ?? []) {
    if (l !== config.server.listen) servers.push(createServer({ ...serverOpts, listen: l }));
  }
  const grpc = config.server.grpcListen
    ? await startGrpcServer(config.server.grpcListen, s.routes)
    : undefined;
  if (grpc) logger.info("native gRPC listening", { url: grpc.url });
  return {
    url: servers[0]!.url,
    stop: async () => {
      await Promise.all([...servers.map((x) => x.stop()), grpc?.stop()]);
    },
  };
}

/** The daemon loop around the pipeline; `active` gates it (cluster: the quorum lease). */
export function loop(
  opts: DaemonOptions,
  p: Pipeline,
  signal: AbortSignal,
  extra: { active?: () => boolean; inactivePollMs?: number; cycleTimeoutMs?: number } = {},
): Promise<void> {
  const { config, logger } = opts;
  return runLoop(
    {
      intervalMs: config.collectIntervalMs,
      fullIntervalMs: config.fullReconcileIntervalMs,
      clock: systemClock,
      rand: Math.random,
      logger,
      active: extra.active,
      inactivePollMs: extra.inactivePollMs,
      wake: (fn) => p.bindWake(fn),
      cycle: async (full, sig) => {
        const bounded = extra.cycleTimeoutMs
          ? AbortSignal.any([sig, AbortSignal.timeout(extra.cycleTimeoutMs)])
          : sig;
        const r = await p.reconciler.runCycle({ full, dryRun: opts.dryRun }, bounded);
        return r.errors.length === 0;
      },
    },
    signal,
  );
}
