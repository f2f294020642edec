/**
 * `pipam run`: builds the concrete parts from the config and runs them until SIGTERM/SIGINT.
 * Single node (raft.node_id = 0): the reconciled state in memory, kept in `state.json` under
 * systemd's StateDirectory or an explicit [raft] data_dir so a restart remembers stopped guests'
 * last addresses; ownership itself always comes from the providers' markers (the first cycle is a
 * full reconcile that reads them).
 */

import { join } from "node:path";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Config } from "../config/index.ts";
import { toProxmoxEndpoints } from "../config/index.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import { createFileStore } from "../reconcile/file-store.ts";
import type { Source } from "../reconcile/reconciler.ts";
import { createMemoryStore } from "../reconcile/store.ts";

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
  const { buildPipeline, serve, loop } = await import("./pipeline.ts");
  // Where a single node keeps its state between restarts: systemd's StateDirectory= (the .deb's
  // unit: /var/lib/pipam), else [raft] data_dir when the config sets it; otherwise memory only.
  const stateDir =
    process.env.STATE_DIRECTORY?.split(":")[0] || (config.raft.dataDirSet ? config.raft.dataDir : "");
  const store = stateDir
    ? createFileStore(join(stateDir, "state.json"), logger, { write: !opts.once })
    : createMemoryStore();
  if (!stateDir && !opts.once) {
    logger.info("state kept in memory only (set [raft] data_dir to keep it across restarts)");
  }
  const p = await buildPipeline(opts, store, {
    mode: "single",
    node: () => ({ id: "local", role: "single" }),
  });
  if (opts.once) {
    const r = await p.reconciler.runCycle({ full: true, dryRun: opts.dryRun }, signal);
    return r.errors.length === 0 ? 0 : 1;
  }
  const ready = (): HealthCheck[] => {
    const last = p.lastReport();
    return [
      { name: "config", ok: true, detail: config.path },
      last
        ? {
            name: "last cycle",
            ok: last.errors.length === 0,
            detail: last.errors.length === 0 ? "ok" : last.errors.slice(0, 3).join("; "),
          }
        : { name: "last cycle", ok: false, detail: "no cycle finished yet" },
    ];
  };
  const { adminServiceImpl } = await import("./admin-service.ts");
  const { AdminService } = await import("../gen/pipam/v1/admin_pb.ts");
  const routes = (router: ConnectRouter) => {
    router.service(
      AdminService,
      adminServiceImpl({
        mode: "single",
        nodeId: 0,
        adminToken: config.raft.adminToken,
        state: () => store.state(),
        lastReport: p.lastReport,
        wake: p.wake,
        health: p.providerHealth,
      }),
    );
  };
  const server = await serve(opts, p, { routes, ready });
  logger.info("pipam running", {
    mode: "single",
    status: server.url,
    interval_s: config.collectIntervalMs / 1000,
    dry_run: opts.dryRun ?? false,
  });
  try {
    await loop(opts, p, signal);
  } finally {
    await server.stop();
    logger.info("pipam stopped");
  }
  return 0;
}
