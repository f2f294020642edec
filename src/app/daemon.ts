/**
 * `pipam run`: builds the concrete parts from the config and runs them until SIGTERM/SIGINT.
 * Single node (raft.node_id = 0): an in-memory reconciled state, rebuilt from the ownership
 * markers after a restart (the first cycle is a full reconcile that reads the provider).
 */
import type { ConnectRouter } from "@connectrpc/connect";
import type { Config } from "../config/index.ts";
import { toProxmoxEndpoints } from "../config/index.ts";
import { systemClock } from "../lib/clock.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import { runLoop } from "../reconcile/loop.ts";
import { type CycleReport, createReconciler, type Source } from "../reconcile/reconciler.ts";
import { createMemoryStore } from "../reconcile/store.ts";
import { createMetrics } from "../server/metrics.ts";
import { createServer } from "../server/server.ts";
import { dnsTarget } from "./dns.ts";
import { ipamTarget } from "./ipam.ts";
import { recordCycle } from "./metrics.ts";
import { createStatusSource } from "./status-source.ts";

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Run one full cycle and return (exit code 0 when it had no errors). */
  once?: boolean;
  dryRun?: boolean;
  version?: string;
  commit?: string;
}

export async function createSource(config: Config, logger: Logger): Promise<Source> {
  const { createProxmoxSource } = await import("../collect/index.ts");
  return createProxmoxSource(toProxmoxEndpoints(config), { logger });
}

export async function runDaemon(opts: DaemonOptions, signal: AbortSignal): Promise<number> {
  const { config, logger } = opts;
  if (config.raft.nodeId > 0) {
    const { runClusterNode } = await import("./cluster.ts");
    return runClusterNode(opts, signal);
  }
  const source = await createSource(config, logger);
  const dns = dnsTarget(config, logger);
  const ipam = ipamTarget(config, logger);
  if (!dns) logger.warn("no [dns.powerdns] configured: collecting only");
  const store = createMemoryStore();
  const metrics = createMetrics({ version: opts.version, commit: opts.commit });
  const status = createStatusSource({ store, mode: "single", node: () => ({ id: "local", role: "single" }) });
  let lastReport: CycleReport | undefined;
  const reconciler = createReconciler({
    source,
    dns,
    ipam,
    store,
    clock: systemClock,
    logger,
    onCycle: (r) => {
      lastReport = r;
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
      if (r.dryRun) logger.info("dry run: planned changes", { changes: r.changes });
    },
  });

  if (opts.once) {
    const r = await reconciler.runCycle({ full: true, dryRun: opts.dryRun }, signal);
    return r.errors.length === 0 ? 0 : 1;
  }

  const ready = (): HealthCheck[] => [
    { name: "config", ok: true, detail: config.path },
    lastReport
      ? {
          name: "last cycle",
          ok: lastReport.errors.length === 0,
          detail: lastReport.errors.length === 0 ? "ok" : lastReport.errors.slice(0, 3).join("; "),
        }
      : { name: "last cycle", ok: false, detail: "no cycle finished yet" },
  ];
  let wakeFn: ((full: boolean) => void) | undefined;
  const { adminServiceImpl } = await import("./admin-service.ts");
  const { AdminService } = await import("../gen/pipam/v1/admin_pb.ts");
  const { rpcHandlers } = await import("../raft/transport/rpc-handlers.ts");
  const routes = (router: ConnectRouter) => {
    router.service(
      AdminService,
      adminServiceImpl({
        mode: "single",
        nodeId: 0,
        adminToken: config.raft.adminToken,
        state: () => store.state(),
        lastReport: () => lastReport,
        wake: (full) => wakeFn?.(full),
        health: async (sig) => (dns ? dns.provider.health(sig) : []),
      }),
    );
  };
  const rpc = rpcHandlers(routes);
  const server = createServer({
    listen: config.server.listen,
    status,
    ready,
    metrics,
    token: config.server.token,
    logger,
    version: opts.version,
    rpcHandlers: rpc,
  });
  const { startGrpcServer } = await import("../raft/transport/grpc-server.ts");
  const grpc = config.server.grpcListen ? await startGrpcServer(config.server.grpcListen, routes) : undefined;
  if (grpc) logger.info("native gRPC listening", { url: grpc.url });
  logger.info("pipam running", {
    mode: "single",
    status: server.url,
    interval_s: config.collectIntervalMs / 1000,
    dry_run: opts.dryRun ?? false,
  });
  try {
    await runLoop(
      {
        intervalMs: config.collectIntervalMs,
        fullIntervalMs: config.fullReconcileIntervalMs,
        clock: systemClock,
        rand: Math.random,
        logger,
        wake: (fn) => {
          wakeFn = fn;
        },
        cycle: async (full, sig) => {
          const r = await reconciler.runCycle({ full, dryRun: opts.dryRun }, sig);
          return r.errors.length === 0;
        },
      },
      signal,
    );
  } finally {
    await grpc?.stop();
    await server.stop();
    logger.info("pipam stopped");
  }
  return 0;
}
