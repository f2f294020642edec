/**
 * AdminService: cluster status, entries, conflicts, reconcile now, membership, leadership
 * transfer, health, and an opaque Propose for benchmarks. Every call needs the admin bearer
 * token ([raft] admin_token_file / PIPAM_RAFT_ADMIN_TOKEN). Writes on a follower fail with
 * FailedPrecondition naming the leader.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../gen/pipam/v1/admin_pb.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { RaftNode } from "../raft/node.ts";
import { opaqueEntry } from "../raft/node.ts";
import { checkBearer } from "../raft/transport/auth.ts";
import type { ReconcileState } from "../reconcile/delta.ts";
import type { CycleReport } from "../reconcile/reconciler.ts";

export interface AdminDeps {
  mode: "single" | "cluster";
  nodeId: number;
  adminToken?: string;
  node?: RaftNode;
  state(): ReconcileState;
  lastReport(): CycleReport | undefined;
  wake(full: boolean): void;
  health(signal: AbortSignal): Promise<HealthCheck[]>;
}

const big = (n: number) => BigInt(Math.max(0, Math.floor(n)));

export function adminServiceImpl(d: AdminDeps): ServiceImpl<typeof AdminService> {
  const auth = (h: Headers) => checkBearer(h.get("authorization"), d.adminToken, "admin API");
  const leaderNode = (): RaftNode | undefined => {
    if (!d.node) return undefined;
    if (!d.node.isLeader()) {
      const leader = d.node.leader();
      const url = d.node.memberUrls().get(leader);
      throw new ConnectError(
        leader ? `not leader, leader is ${leader}${url ? ` (${url})` : ""}` : "not leader, leader unknown",
        Code.FailedPrecondition,
      );
    }
    return d.node;
  };
  const needCluster = (): RaftNode => {
    if (!d.node) throw new ConnectError("single-node mode: no Raft cluster", Code.FailedPrecondition);
    return d.node;
  };
  return {
    async getStatus(_req, ctx) {
      auth(ctx.requestHeader);
      const last = d.lastReport();
      const base = {
        mode: d.mode,
        nodeId: big(d.nodeId),
        guests: d.state().guests.size,
        conflicts: last?.conflicts.length ?? 0,
        lastCycleAtMs: big(last?.startedAt ?? 0),
      };
      if (!d.node) return { ...base, role: "single", leaderId: big(d.nodeId), hasLease: true };
      const st = d.node.status();
      const urls = d.node.memberUrls();
      const voters = new Set(st.confState.voters);
      const ids = new Set([...st.confState.voters, ...st.confState.learners, ...urls.keys()]);
      return {
        ...base,
        role: st.role,
        hasLease: d.node.hasLease(),
        leaderId: big(st.leader),
        leaderUrl: urls.get(st.leader) ?? "",
        term: big(st.term),
        commitIndex: big(st.commit),
        appliedIndex: big(st.applied),
        peers: [...ids]
          .sort((a, b) => a - b)
          .map((id) => {
            const p = st.progress.get(id);
            return {
              id: big(id),
              url: urls.get(id) ?? "",
              role: id === st.leader ? "leader" : voters.has(id) ? "voter" : "learner",
              matchIndex: big(p?.match ?? 0),
              lastContactMs: BigInt(p ? Math.round(p.lastContactTicks) : -1),
              learner: !voters.has(id),
            };
          }),
      };
    },
    async listEntries(req, ctx) {
      auth(ctx.requestHeader);
      const s = d.state();
      const f = req.filter.toLowerCase();
      const entries = [...s.guests.values()]
        .filter((g) => !f || g.name.toLowerCase().includes(f) || String(g.vmid) === f)
        .map((g) => {
          const key = `${g.cluster}/${g.vmid}`;
          const owned = [...s.dnsOwned.values()].filter((r) => r.guests?.includes(key as never));
          const failed = [...s.dnsFailed.values()].filter((x) => x.rrset.guests?.includes(key as never));
          return {
            key,
            name: g.name,
            status: g.status,
            ips: g.nics.flatMap((n) => n.addresses.map((a) => a.ip)),
            dnsState:
              failed.length > 0
                ? `${failed[0]!.kind}: ${failed[0]!.error}`
                : owned.length > 0
                  ? "in-sync"
                  : "none",
            netboxState: "",
            error: g.error ?? "",
          };
        });
      return { entries };
    },
    async listConflicts(_req, ctx) {
      auth(ctx.requestHeader);
      return {
        conflicts: (d.lastReport()?.conflicts ?? []).map((c) => ({
          kind: c.kind,
          subject: c.subject,
          winner: c.winner ?? "",
          losers: c.losers,
          message: c.message,
        })),
      };
    },
    async triggerReconcile(req, ctx) {
      auth(ctx.requestHeader);
      if (d.node) leaderNode();
      d.wake(req.full);
      return { accepted: true, message: req.full ? "full reconcile started" : "cycle started" };
    },
    async addMember(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      const id = Number(req.nodeId);
      if (!req.url) throw new ConnectError("add member: url is required", Code.InvalidArgument);
      await node.proposeConfChange({ type: "add-learner", node: id }, req.url, AbortSignal.timeout(10_000));
      // A learner first catches up; promote it once its log is close to the leader's.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const st = node.status();
        const p = st.progress.get(id);
        if (p && st.commit - p.match <= 10) break;
        await Bun.sleep(100);
      }
      await node.proposeConfChange({ type: "promote", node: id }, undefined, AbortSignal.timeout(10_000));
      return { message: `node ${id} added (${req.url}) and promoted to voter` };
    },
    async removeMember(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      await node.proposeConfChange(
        { type: "remove", node: Number(req.nodeId) },
        undefined,
        AbortSignal.timeout(10_000),
      );
      return { message: `node ${req.nodeId} removed` };
    },
    async transferLeadership(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      const to = Number(req.toNodeId);
      node.transferLeadership(to);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && node.leader() !== to) await Bun.sleep(50);
      if (node.leader() !== to) {
        throw new ConnectError(`leadership did not move to ${to} within 5 s`, Code.DeadlineExceeded);
      }
      return { message: `leader is now ${to}` };
    },
    async health(_req, ctx) {
      auth(ctx.requestHeader);
      const checks = await d.health(AbortSignal.timeout(10_000));
      return {
        checks: checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail, hint: c.hint ?? "" })),
      };
    },
    async propose(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      // a timer cleared when the proposal settles (AbortSignal.timeout's would outlive the call)
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error("proposal not applied within 10 s")), 10_000);
      try {
        const r = await node.propose(opaqueEntry(req.payload), ac.signal);
        return { index: big(r.index), term: big(r.term) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
