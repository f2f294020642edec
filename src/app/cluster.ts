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
import { PipamError } from "../lib/errors.ts";
import type { HealthCheck } from "../lib/health.ts";
import { createReplicatedStore, createStateFsm } from "../raft/fsm.ts";
import { createRaftNode } from "../raft/node.ts";
import { openRaftStorage } from "../raft/open-storage.ts";
import { createPeerSender } from "../raft/transport/peer-client.ts";
import { raftServiceImpl } from "../raft/transport/peer-service.ts";
import type { NodeRole, PeerView } from "../server/status.ts";
import { adminServiceImpl } from "./admin-service.ts";
import type { DaemonOptions } from "./daemon.ts";
import { buildPipeline, loop, serve } from "./pipeline.ts";

/**
 * Election timeout in ticks (randomized in [n, 2n)); heartbeats every tick. With the default
 * 100 ms tick: 0.8–1.6 s, which bounds failover (detection ≈ 1.07 s on average with 3 nodes).
 */
const ELECTION_TICKS = 8;

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
  const storage = openRaftStorage(raft.dataDir, raft.join ? [] : [...peers.keys()], (msg) =>
    logger.warn(msg),
  );
  // with no voters to bootstrap, a joining node's storage stays empty until the leader reaches it
  if (raft.join && storage.isEmpty()) {
    logger.info("joining a running cluster: waiting for the leader to add this node", {
      node: id,
      add_with: `pipam member add ${id} ${peers.get(id)}`,
    });
  } else if (raft.join) {
    logger.info("raft.join ignored: data_dir already holds this node's log and membership", { node: id });
  }
  const fsm = createStateFsm(logger);
  let nodeRef: ReturnType<typeof createRaftNode> | undefined;
  const sender = createPeerSender({
    secret: raft.secret,
    logger,
    timeoutMs: Math.max(1000, raft.tickIntervalMs * 10),
    onSnapshotResult: (to, ok) => nodeRef?.reportSnapshot(to, ok),
    onReply: (msgs) => nodeRef?.step(msgs),
  });
  const node = createRaftNode({
    id,
    storage,
    fsm,
    sender,
    peers,
    tickMs: raft.tickIntervalMs,
    electionTick: ELECTION_TICKS,
    heartbeatTick: 1,
    // the leader's own appends are fsynced off the event loop (counted once durable)
    asyncLeaderWrites: true,
    rand: Math.random,
    logger,
  });
  nodeRef = node;
  const store = createReplicatedStore(node, fsm);
  const role = (): NodeRole => {
    const r = node.status().role;
    return r === "leader" ? "leader" : r === "follower" ? "follower" : "candidate";
  };
  const p = await buildPipeline(opts, store, {
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
        const pr = st.progress.get(pid);
        out.push({
          id: String(pid),
          url,
          lastContactMs: pr ? pr.lastContactTicks * raft.tickIntervalMs : undefined,
          match: pr?.match,
          state: pr?.state,
        });
      }
      return out;
    },
  });
  const updateRaftMetrics = () => {
    const st = node.status();
    p.metrics.raftTerm.set(st.term);
    p.metrics.raftCommitIndex.set(st.commit);
    p.metrics.raftAppliedIndex.set(st.applied);
    p.metrics.raftIsLeader.set(st.role === "leader" ? 1 : 0);
    p.metrics.raftHasLeader.set(st.leader ? 1 : 0);
  };
  const leaderCheck = (): HealthCheck => {
    const st = node.status();
    return {
      name: "raft leader",
      ok: st.leader !== 0,
      detail: st.leader ? `leader is ${st.leader} (term ${st.term})` : "no leader",
    };
  };
  const routes = (router: ConnectRouter) => {
    router.service(RaftService, raftServiceImpl(node, raft.secret));
    router.service(
      AdminService,
      adminServiceImpl({
        mode: "cluster",
        nodeId: id,
        adminToken: raft.adminToken,
        node,
        state: () => store.state(),
        lastReport: p.lastReport,
        wake: p.wake,
        health: async (sig) => [leaderCheck(), ...(await p.providerHealth(sig))],
      }),
    );
  };
  const server = await serve(opts, p, {
    routes,
    ready: () => {
      updateRaftMetrics();
      return [{ name: "config", ok: true, detail: config.path }, leaderCheck()];
    },
    extraListen: raft.listenAddr ? [raft.listenAddr] : [],
  });
  // A new leader reconciles at once (full: it retries what the old leader left unsynced).
  node.onRoleChange((r) => {
    if (r === "leader") setTimeout(() => p.wake(true), raft.tickIntervalMs);
  });
  node.start();
  const metricsTimer = setInterval(updateRaftMetrics, 1000);
  logger.info("pipam running", { mode: "cluster", node: id, peers: peers.size, status: server.url });
  try {
    // A leader that cannot commit (lost quorum) must not hang: each cycle is bounded.
    await loop(opts, p, signal, {
      active: () => node.hasLease(),
      // a new leader gets its lease one heartbeat round after the election: look often
      inactivePollMs: raft.tickIntervalMs,
      cycleTimeoutMs: Math.max(10_000, config.collectIntervalMs * 3),
    });
  } finally {
    clearInterval(metricsTimer);
    node.stop();
    sender.stop();
    await server.stop();
    storage.close?.();
    logger.info("pipam stopped");
  }
  return 0;
}
