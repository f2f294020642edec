/**
 * AdminService: cluster status, entries, conflicts, reconcile now, membership, leadership
 * transfer, health, and an opaque Propose for benchmarks. Every call needs the admin bearer
 * token ([raft] admin_token_file / PIPAM_RAFT_ADMIN_TOKEN). Writes on a follower fail with
 * FailedPrecondition naming the leader.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../gen/pipam/v1/admin_pb.ts";
import type { HealthCheck } from "../lib/health.ts";
import { RaftError } from "../raft/core/index.ts";
import type { RaftNode } from "../raft/node.ts";
import { opaqueEntry } from "../raft/node.ts";
import { checkBearer } from "../raft/transport/auth.ts";
import type { FailedEntry, IpamState, ReconcileState } from "../reconcile/delta.ts";
import type { CycleReport } from "../reconcile/reconciler.ts";
import { ADD_MEMBER_MARGIN_MS } from "./admin-limits.ts";

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

/**
 * ListEntries from the replicated state, so any member answers the same: per guest, its DNS
 * state ("in-sync" when pipam owns a record of it, "<kind>: <error>" when one was not applied,
 * "none") and its NetBox state ("failed: <object>: <error>" when the last NetBox apply refused one
 * of its objects, "in-sync" after an apply, "" when NetBox was never applied). Indexed once per
 * call: linear in guests + records.
 */
export function guestEntries(s: ReconcileState, filter: string) {
  const f = filter.toLowerCase();
  const owned = new Set<string>();
  for (const r of s.dnsOwned.values()) for (const g of r.guests ?? []) owned.add(g);
  const failed = new Map<string, FailedEntry>();
  for (const x of s.dnsFailed.values())
    for (const g of x.rrset.guests ?? []) if (!failed.has(g)) failed.set(g, x);
  const nbFailed = new Map<string, IpamState["failed"][number]>();
  for (const x of s.ipam.failed) if (x.vm && !nbFailed.has(x.vm)) nbFailed.set(x.vm, x);
  const nbApplied = s.ipam.sig !== "";
  return [...s.guests.values()]
    .filter((g) => !f || g.name.toLowerCase().includes(f) || String(g.vmid) === f)
    .map((g) => {
      const key = `${g.cluster}/${g.vmid}`;
      const bad = failed.get(key);
      const nb = nbFailed.get(key);
      return {
        key,
        name: g.name,
        status: g.status,
        ips: g.nics.flatMap((n) => n.addresses.map((a) => a.ip)),
        dnsState: bad ? `${bad.kind}: ${bad.error}` : owned.has(key) ? "in-sync" : "none",
        netboxState: nb ? `failed: ${nb.kind} ${nb.name}: ${nb.error}` : nbApplied ? "in-sync" : "",
        error: g.error ?? "",
      };
    });
}

const big = (n: number) => BigInt(Math.max(0, Math.floor(n)));

/** The core's refusals as Connect codes: invalid → InvalidArgument, dropped → Unavailable (retry). */
function connectError(err: unknown): unknown {
  if (!(err instanceof RaftError) || err instanceof ConnectError) return err;
  const code =
    err.code === "invalid"
      ? Code.InvalidArgument
      : err.code === "not_leader"
        ? Code.FailedPrecondition
        : Code.Unavailable;
  return new ConnectError(err.message, code);
}

async function raftCall<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw connectError(err);
  }
}

function memberId(n: bigint, what: string): number {
  const id = Number(n);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new ConnectError(`${what}: node id must be a positive integer, got ${n}`, Code.InvalidArgument);
  return id;
}

/** How long AddMember waits for the learner to catch up: the call's deadline less the margin, else 60 s. */
function catchUpBudget(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return 60_000;
  return Math.max(0, Math.min(timeoutMs - ADD_MEMBER_MARGIN_MS, 3_600_000));
}

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
      const learners = new Set(st.confState.learners);
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
              // "unknown": a URL this node has (config, an old member) but no membership of its
              // own names (a joining node before the leader reaches it, a removed member)
              role:
                id === st.leader
                  ? "leader"
                  : voters.has(id)
                    ? "voter"
                    : learners.has(id)
                      ? "learner"
                      : "unknown",
              matchIndex: big(p?.match ?? 0),
              lastContactMs: BigInt(p ? Math.round(p.lastContactTicks) : -1),
              learner: learners.has(id),
            };
          }),
      };
    },
    async listEntries(req, ctx) {
      auth(ctx.requestHeader);
      return { entries: guestEntries(d.state(), req.filter) };
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
      const id = memberId(req.nodeId, "add member");
      if (!req.url) throw new ConnectError("add member: url is required", Code.InvalidArgument);
      if (!/^https?:\/\/[^/?#@]+\/?$/.test(req.url))
        throw new ConnectError(
          `add member: url must be http(s)://host:port, got "${req.url}"`,
          Code.InvalidArgument,
        );
      const conf = node.status().confState;
      if (conf.voters.includes(id))
        throw new ConnectError(`node ${id} is already a voter`, Code.AlreadyExists);
      // A learner left by an earlier call that timed out is not added again, only promoted.
      if (!conf.learners.includes(id)) {
        await raftCall(() =>
          node.proposeConfChange({ type: "add-learner", node: id }, req.url, AbortSignal.timeout(10_000)),
        );
      }
      // Promote once the learner holds everything committed (the core refuses it before).
      const budget = catchUpBudget(ctx.timeoutMs());
      const deadline = Date.now() + budget;
      let last = "";
      for (;;) {
        const st = node.status();
        const match = st.progress.get(id)?.match ?? 0;
        if (match >= st.commit) {
          try {
            // a new URL for a learner left by an earlier call goes with the promotion
            const url = node.memberUrls().get(id) === req.url ? undefined : req.url;
            await node.proposeConfChange({ type: "promote", node: id }, url, AbortSignal.timeout(10_000));
            return { message: `node ${id} added (${req.url}) and promoted to voter` };
          } catch (err) {
            // committed moved on meanwhile, or a change is still pending: try again
            const still = node.status().confState.learners.includes(id);
            if (!(err instanceof RaftError) || err.code === "not_leader" || !still) throw connectError(err);
            last = `; last refusal: ${err.message}`;
          }
        }
        if (Date.now() >= deadline) {
          throw new ConnectError(
            `node ${id} joined as a learner but has not caught up within ${Math.round(budget / 1000)} s ` +
              `(it holds the log up to ${match}, the leader has committed ${st.commit}${last}); it stays a ` +
              `learner. Check that it runs and that the leader reaches it at ${req.url}, then add it again to ` +
              `promote it, or remove it.`,
            Code.DeadlineExceeded,
          );
        }
        await Bun.sleep(100);
      }
    },
    async removeMember(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      const id = memberId(req.nodeId, "remove member");
      const conf = node.status().confState;
      if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
        const all = [...conf.voters, ...conf.learners].sort((a, b) => a - b).join(", ");
        throw new ConnectError(`node ${id} is not a member (members: ${all})`, Code.NotFound);
      }
      await raftCall(() =>
        node.proposeConfChange({ type: "remove", node: id }, undefined, AbortSignal.timeout(10_000)),
      );
      return { message: `node ${id} removed` };
    },
    async transferLeadership(req, ctx) {
      auth(ctx.requestHeader);
      needCluster();
      const node = leaderNode()!;
      const to = memberId(req.toNodeId, "transfer leadership");
      if (to === d.nodeId) return { message: `node ${to} is already the leader` };
      await raftCall(() => node.transferLeadership(to));
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
