/**
 * Cluster mode (raft.node_id > 0): a Raft node over ConnectRPC; the replicated FSM holds the
 * inventory and the reconciled state. Only the leader holding its quorum lease collects, plans
 * and applies (collect → propose inventory delta → apply to providers → propose the reconciled
 * result); a new leader starts with a full reconcile from the replicated state and retries what
 * failed. Followers serve the status page with their view and a link to the leader.
 */
import { mkdirSync } from "node:fs";
import type { ConnectRouter } from "@connectrpc/connect";
import { AdminService } from "../gen/pipam/v1/admin_pb.ts";
import { RaftService } from "../gen/pipam/v1/raft_pb.ts";
import { systemClock } from "../lib/clock.ts";
import { PipamError } from "../lib/errors.ts";
import type { HealthCheck } from "../lib/health.ts";
import { createReplicatedStore, createStateFsm } from "../raft/fsm.ts";
import { createRaftNode } from "../raft/node.ts";
import { openRaftStorage } from "../raft/open-storage.ts";
import { startGrpcServer } from "../raft/transport/grpc-server.ts";
import { createPeerSender } from "../raft/transport/peer-client.ts";
import { raftServiceImpl } from "../raft/transport/peer-service.ts";
import { rpcHandlers } from "../raft/transport/rpc-handlers.ts";
import { runLoop } from "../reconcile/loop.ts";
import { type CycleReport, createReconciler } from "../reconcile/reconciler.ts";
import { createMetrics } from "../server/metrics.ts";
import { createServer, type RunningServer } from "../server/server.ts";
import type { NodeRole, PeerView } from "../server/status.ts";
import { adminServiceImpl } from "./admin-service.ts";
import { createSource, type DaemonOptions } from "./daemon.ts";
import { dnsTarget } from "./dns.ts";
import { ipamTarget } from "./ipam.ts";
import { recordCycle } from "./metrics.ts";
import { createStatusSource } from "./status-source.ts";

export async function runClusterNode(opts: DaemonOptions, signal: AbortSignal): Promise<number> {
  const { config, logger } = opts;
  const raft = config.raft;
  const id = raft.nodeId;
  if (!raft.secret) {
    throw new PipamError(
      "config",
      "raft.secret_file (or PIPAM_RAFT_SECRET) is required when raft.node_id is set",
    );
  }
  const peers = new Map(Object.entries(raft.peers).map(([k, v]) => [Number(k), v] as const));
  if (!peers.has(id))
    throw new PipamError("config", `raft.peers has no entry for this node (node_id = ${id})`);
  mkdirSync(raft.dataDir, { recursive: true });
  const storage = openRaftStorage(raft.dataDir, [...peers.keys()]);
  const fsm = createStateFsm(logger);
  let nodeRef: ReturnType<typeof createRaftNode> | undefined;
  const sender = createPeerSender({
    secret: raft.secret,
    logger,
    timeoutMs: Math.max(1000, raft.tickIntervalMs * 10),
    onSnapshotResult: (to, ok) => nodeRef?.reportSnapshot(to, ok),
  });
  const node = createRaftNode({
    id,
    storage,
    fsm,
    sender,
    peers,
    tickMs: raft.tickIntervalMs,
    electionTick: 10,
    heartbeatTick: 1,
    rand: Math.random,
    logger,
  });
  nodeRef = node;
  const store = createReplicatedStore(node, fsm);
  const source = await createSource(config, logger);
  const dns = dnsTarget(config, logger);
  const ipam = ipamTarget(config, logger);
  const metrics = createMetrics({ version: opts.version, commit: opts.commit });
  const role = (): NodeRole => {
    const r = node.status().role;
    return r === "leader" ? "leader" : r === "follower" ? "follower" : "candidate";
  };
  const status = createStatusSource({
    store,
    mode: "cluster",
    node: () => {
      const st = node.status();
      return {
        id: String(id),
        role: role(),
        leaderId: st.leader ? String(st.leader) : undefined,
        leaderUrl: st.leader && st.leader !== id ? node.memberUrls().get(st.leader) : undefined,
        term: st.term,
        commit: st.commit,
        applied: st.applied,
      };
    },
    peers: () => {
      const st = node.status();
      const out: PeerView[] = [];
      for (const [pid, url] of node.memberUrls()) {
        if (pid === id) continue;
        const p = st.progress.get(pid);
        out.push({
          id: String(pid),
          url,
          lastContactMs: p ? p.lastContactTicks * raft.tickIntervalMs : undefined,
          match: p?.match,
          state: p?.state,
        });
      }
      return out;
    },
  });
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
      if (r.errors.length > 0) logger.warn("cycle finished with errors", { errors: r.errors.slice(0, 5) });
    },
  });
  const updateRaftMetrics = () => {
    const st = node.status();
    metrics.raftTerm.set(st.term);
    metrics.raftCommitIndex.set(st.commit);
    metrics.raftAppliedIndex.set(st.applied);
    metrics.raftIsLeader.set(st.role === "leader" ? 1 : 0);
    metrics.raftHasLeader.set(st.leader ? 1 : 0);
  };
  let wakeFn: ((full: boolean) => void) | undefined;
  const health = async (sig: AbortSignal): Promise<HealthCheck[]> => {
    const checks: HealthCheck[] = [];
    const st = node.status();
    checks.push({
      name: "raft leader",
      ok: st.leader !== 0,
      detail: st.leader ? `leader is ${st.leader} (term ${st.term})` : "no leader",
    });
    if (dns)
      checks.push(
        ...(await dns.provider
          .health(sig)
          .catch((e) => [{ name: "powerdns", ok: false, detail: String(e) }])),
      );
    return checks;
  };
  const routes = (router: ConnectRouter) => {
    router.service(
      RaftService,
      raftServiceImpl((msgs) => node.step(msgs), raft.secret),
    );
    router.service(
      AdminService,
      adminServiceImpl({
        mode: "cluster",
        nodeId: id,
        adminToken: raft.adminToken,
        node,
        state: () => store.state(),
        lastReport: () => lastReport,
        wake: (full) => wakeFn?.(full),
        health,
      }),
    );
  };
  const rpc = rpcHandlers(routes);
  const serverOpts = {
    status,
    metrics,
    token: config.server.token,
    logger,
    version: opts.version,
    rpcHandlers: rpc,
    ready: (): HealthCheck[] => {
      updateRaftMetrics();
      const st = node.status();
      return [
        { name: "config", ok: true, detail: config.path },
        { name: "raft leader", ok: st.leader !== 0, detail: st.leader ? `leader ${st.leader}` : "no leader" },
      ];
    },
  };
  const servers: RunningServer[] = [createServer({ ...serverOpts, listen: config.server.listen })];
  if (raft.listenAddr && raft.listenAddr !== config.server.listen) {
    servers.push(createServer({ ...serverOpts, listen: raft.listenAddr }));
  }
  const grpc = config.server.grpcListen ? await startGrpcServer(config.server.grpcListen, routes) : undefined;
  if (grpc) logger.info("native gRPC listening", { url: grpc.url });
  // A new leader reconciles at once (full: it retries what the old leader left unsynced).
  node.onRoleChange((r) => {
    if (r === "leader") setTimeout(() => wakeFn?.(true), raft.tickIntervalMs * 2);
  });
  node.start();
  const metricsTimer = setInterval(updateRaftMetrics, 1000);
  logger.info("pipam running", { mode: "cluster", node: id, peers: peers.size, status: servers[0]!.url });
  try {
    await runLoop(
      {
        intervalMs: config.collectIntervalMs,
        fullIntervalMs: config.fullReconcileIntervalMs,
        clock: systemClock,
        rand: Math.random,
        logger,
        active: () => node.hasLease(),
        wake: (fn) => {
          wakeFn = fn;
        },
        cycle: async (full, sig) => {
          // A leader that cannot commit (lost quorum) must not hang: bound the cycle.
          const bounded = AbortSignal.any([
            sig,
            AbortSignal.timeout(Math.max(10_000, config.collectIntervalMs * 3)),
          ]);
          const r = await reconciler.runCycle({ full, dryRun: opts.dryRun }, bounded);
          return r.errors.length === 0;
        },
      },
      signal,
    );
  } finally {
    clearInterval(metricsTimer);
    node.stop();
    sender.stop();
    await Promise.all([...servers.map((s) => s.stop()), grpc?.stop()]);
    storage.close?.();
    logger.info("pipam stopped");
  }
  return 0;
}
