import { RaftLog } from "./log.ts";
import { Progress } from "./progress.ts";
import type { Storage } from "./storage.ts";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MessageType,
  ProposeResult,
  Role,
  Snapshot,
  Status,
} from "./types.ts";
import { NotLeaderError, ProposalDroppedError, RaftError } from "./types.ts";

export interface RaftOptions {
  id: number;
  storage: Storage;
  /** ticks a follower waits for a leader before campaigning; randomized in [electionTick, 2×electionTick) */
  electionTick?: number;
  heartbeatTick?: number;
  /** injected randomness, a float in [0, 1) */
  rand: () => number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  maxCommittedSizePerReady?: number;
  /** last index the application applied before a restart (default: the snapshot index) */
  applied?: number;
  /**
   * When the leader's commit index moves, do not send every follower an empty append just to
   * tell it (etcd does): the new commit index rides on the next append or heartbeat. Saves a
   * round of messages per commit; followers apply up to one heartbeat later. Default false.
   */
  lazyCommit?: boolean;
  /**
   * The leader's own log writes are acknowledged separately (etcd's async storage writes, for
   * the leader's appends): a new entry counts toward a commit on the leader only once the
   * application reports it durable with `localAppendDurable`, so the application may persist the
   * leader's entries without waiting for the fsync (and apply an entry that two followers already
   * hold durably before its own fsync finishes). A Ready that changes term or vote, or carries a
   * snapshot, must still be persisted durably before its messages go out, and a node that has
   * been leader must have everything durable before its term changes. Default false.
   */
  asyncLocalAppend?: boolean;
  /** deliberately broken variants, only for proving that the simulator catches them */
  unsafe?: { commitPreviousTerm?: boolean; skipUpToDateCheck?: boolean; countUnsyncedSelf?: boolean };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface ConfChangeData extends ConfChange {
  /** the membership after this change */
  confState: ConfState;
}

export function encodeConfChange(c: ConfChangeData): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeConfChange(data: Uint8Array): ConfChangeData {
  const v = JSON.parse(dec.decode(data)) as ConfChangeData;
  if (!v || !Array.isArray(v.confState?.voters) || !Array.isArray(v.confState?.learners)) {
    throw new RaftError("invalid", "conf-change entry: malformed data");
  }
  return v;
}

function sameConf(a: ConfState, b: ConfState): boolean {
  const k = (c: ConfState) =>
    `${[...c.voters].sort((x, y) => x - y)}|${[...c.learners].sort((x, y) => x - y)}`;
  return k(a) === k(b);
}

function emptyMsg(type: MessageType, to: number): Message {
  return {
    type,
    from: 0,
    to,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

/**
 * The Raft state machine. Membership is "log-time": a node uses the latest conf-change entry in
 * its log (or its snapshot's membership), one voter change at a time.
 */
export class Raft {
  readonly id: number;
  term = 0;
  vote = 0;
  lead = 0;
  role: Role = "follower";
  readonly log: RaftLog;
  msgs: Message[] = [];
  prs = new Map<number, Progress>();
  votes = new Map<number, boolean>();
  leadTransferee = 0;
  /** a timeout-now went out in this leadership: no lease any more, and a failed transfer steps down */
  timeoutNowSent = false;
  /** ticks since this instance started (monotonic) */
  ticks = 0;
  /** restarted with state: ignore (pre-)votes for the first election timeout (a lease may be held) */
  private holdoff = false;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** membership at the snapshot and at each conf-change entry above it */
  private confBase: { index: number; conf: ConfState };
  private confs: { index: number; conf: ConfState }[] = [];
  conf: ConfState;

  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly lazyCommit: boolean;
  readonly asyncLocalAppend: boolean;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxMsgSize: number;
  readonly maxInflight: number;
  readonly maxApplySize: number;
  private readonly rand: () => number;
  private readonly unsafe: NonNullable<RaftOptions["unsafe"]>;

  constructor(o: RaftOptions) {
    if (!Number.isInteger(o.id) || o.id <= 0)
      throw new RaftError("invalid", `raft: id must be a positive integer, got ${o.id}`);
    this.id = o.id;
    this.electionTimeout = o.electionTick ?? 10;
    this.heartbeatTimeout = o.heartbeatTick ?? 1;
    this.lazyCommit = o.lazyCommit ?? false;
    this.asyncLocalAppend = o.asyncLocalAppend ?? false;
    if (this.heartbeatTimeout >= this.electionTimeout) {
      throw new RaftError("invalid", "raft: electionTick must be greater than heartbeatTick");
    }
    this.preVote = o.preVote ?? true;
    this.checkQuorum = o.checkQuorum ?? true;
    this.maxMsgSize = o.maxSizePerMsg ?? 1024 * 1024;
    this.maxInflight = o.maxInflightMsgs ?? 256;
    this.maxApplySize = o.maxCommittedSizePerReady ?? 16 * 1024 * 1024;
    this.rand = o.rand;
    this.unsafe = o.unsafe ?? {};
    this.log = new RaftLog(o.storage);
    const { hardState, confState } = o.storage.initialState();
    const snap = o.storage.snapshot();
    this.confBase = { index: snap.meta.index, conf: confState };
    // membership from the conf-change entries above the snapshot
    const first = this.log.firstIndex();
    const last = this.log.lastIndex();
    for (let lo = Math.max(first, snap.meta.index + 1); lo <= last; ) {
      const chunk = o.storage.entries(lo, Math.min(last + 1, lo + 1024));
      for (const e of chunk) {
        if (e.type === "conf-change")
          this.confs.push({ index: e.index, conf: decodeConfChange(e.data).confState });
      }
      lo += chunk.length;
    }
    this.conf = this.latestConf();
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0) {
      if (hardState.commit > this.log.lastIndex()) {
        throw new RaftError(
          "invalid",
          `raft: hard state commit ${hardState.commit} is beyond the last index ${this.log.lastIndex()}`,
        );
      }
      this.log.committed = Math.max(this.log.committed, hardState.commit);
      this.term = hardState.term;
      this.vote = hardState.vote;
      this.holdoff = hardState.term > 0;
    }
    if (o.applied !== undefined && o.applied > 0) this.log.appliedTo(Math.min(o.applied, this.log.committed));
    this.becomeFollower(this.term, 0);
  }

  // ---- membership ----

  private latestConf(): ConfState {
    return this.confs.length > 0 ? this.confs[this.confs.length - 1]!.conf : this.confBase.conf;
  }

  lastConfIndex(): number {
    return this.confs.length > 0 ? this.confs[this.confs.length - 1]!.index : this.confBase.index;
  }

  /** membership as of index i (i ≥ the snapshot index) */
  confAt(i: number): ConfState {
    let c = this.confBase.conf;
    for (const x of this.confs) if (x.index <= i) c = x.conf;
    return c;
  }

  private isVoter(id: number): boolean {
    return this.conf.voters.includes(id);
  }

  promotable(): boolean {
    return this.isVoter(this.id);
  }

  /** recompute membership after the log changed and sync progress */
  private onLogAppended(ents: Entry[]): void {
    if (ents.length === 0) return;
    const from = ents[0]!.index;
    const before = this.confs.length;
    this.confs = this.confs.filter((c) => c.index < from);
    let changed = this.confs.length !== before;
    for (const e of ents) {
      if (e.type === "conf-change") {
        this.confs.push({ index: e.index, conf: decodeConfChange(e.data).confState });
        changed = true;
      }
    }
    if (changed) this.applyConf(this.latestConf());
  }

  private applyConf(c: ConfState): void {
    if (sameConf(c, this.conf)) return;
    this.conf = c;
    if (this.role !== "leader") return;
    const members = new Set([...c.voters, ...c.learners]);
    for (const id of [...this.prs.keys()]) if (!members.has(id)) this.prs.delete(id);
    for (const id of members) {
      const pr = this.prs.get(id);
      const learner = c.learners.includes(id);
      if (pr) pr.learner = learner;
      else
        this.prs.set(
          id,
          new Progress(this.log.lastIndex() + 1, learner, this.maxInflight, this.electionTimeout),
        );
    }
    if (this.leadTransferee !== 0 && !this.isVoter(this.leadTransferee)) this.leadTransferee = 0;
  }

  // ---- state ----

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private send(m: Message): void {
    m.from = this.id;
    if (m.type !== "pre-vote" && m.type !== "pre-vote-resp" && m.type !== "vote" && m.type !== "vote-resp") {
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.rand() * this.electionTimeout);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = 0;
    this.timeoutNowSent = false;
    this.votes.clear();
    this.prs.clear();
    const last = this.log.lastIndex();
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = new Progress(
        last + 1,
        this.conf.learners.includes(id),
        this.maxInflight,
        this.electionTimeout,
      );
      if (id === this.id) {
        // with asynchronous local appends only what has been handed out and persisted counts
        pr.match = this.asyncLocalAppend ? Math.min(last, this.log.unstable.offset - 1) : last;
        pr.lastContactTicks = 0;
      }
      this.prs.set(id, pr);
    }
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.role = "follower";
  }

  private becomePreCandidate(): void {
    if (this.role === "leader") throw new RaftError("invalid", "leader cannot become pre-candidate");
    this.votes.clear();
    this.lead = 0;
    this.role = "pre-candidate";
  }

  private becomeCandidate(): void {
    if (this.role === "leader") throw new RaftError("invalid", "leader cannot become candidate");
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = "leader";
    const self = this.prs.get(this.id);
    self?.becomeReplicate();
    this.appendEntries([{ index: 0, term: 0, type: "normal", data: new Uint8Array(0) }]);
  }

  private appendEntries(es: Entry[]): void {
    const li = this.log.lastIndex();
    const ents = es.map((e, i) => ({ ...e, term: this.term, index: li + 1 + i }));
    this.log.append(ents);
    this.onLogAppended(ents);
    if (this.asyncLocalAppend && !this.unsafe.countUnsyncedSelf) return; // counted once durable
    this.prs.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /**
   * The application reports the leader's own log durable up to `index` (whose entry has `term`):
   * with asyncLocalAppend, that is when the leader counts toward committing it. Ignored when
   * this node is not the leader or the entry has been replaced since.
   */
  localAppendDurable(index: number, term: number): void {
    if (!this.asyncLocalAppend || this.role !== "leader") return;
    if (index > this.log.lastIndex() || this.log.term(index) !== term) return;
    const self = this.prs.get(this.id);
    if (self?.maybeUpdate(index) && this.maybeCommit() && !this.lazyCommit) this.bcastAppend();
  }

  // ---- ticks ----

  tick(): void {
    this.ticks++;
    if (this.role === "leader") this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const [id, pr] of this.prs) {
      if (id !== this.id) pr.lastContactTicks++;
      if (pr.state === "snapshot" && ++pr.snapshotTicks > this.electionTimeout * 2) pr.becomeProbe();
    }
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, 0);
          return;
        }
        for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
      }
      if (this.leadTransferee !== 0) {
        // the transfer timed out; if the target may already be campaigning, make way for a clean election
        if (this.timeoutNowSent) {
          this.becomeFollower(this.term, 0);
          return;
        }
        this.leadTransferee = 0;
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  private quorumActive(): boolean {
    let n = 0;
    for (const id of this.conf.voters) if (id === this.id || this.prs.get(id)?.recentActive) n++;
    return n > this.conf.voters.length / 2;
  }

  /**
   * Leader, no transfer under way, and a quorum of voters acknowledged a heartbeat sent within the
   * last election timeout. Voters ignore (pre-)votes for an election timeout after they last heard
   * from the leader (and after they start), so no other leader can be elected while this holds.
   */
  hasQuorumLease(): boolean {
    if (this.role !== "leader" || this.leadTransferee !== 0 || this.timeoutNowSent) return false;
    let n = 0;
    for (const id of this.conf.voters) {
      const pr = this.prs.get(id);
      if (id === this.id || (pr && this.ticks - pr.leaseTick < this.electionTimeout)) n++;
    }
    return n > this.conf.voters.length / 2;
  }

  // ---- elections ----

  hup(transfer: boolean): void {
    if (this.role === "leader" || !this.promotable()) return;
    if (this.preVote && !transfer) this.campaign("pre-vote", false);
    else this.campaign("vote", transfer);
  }

  private campaign(kind: "pre-vote" | "vote", transfer: boolean): void {
    let term: number;
    if (kind === "pre-vote") {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.poll(this.id, true) === "won") {
      if (kind === "pre-vote") this.campaign("vote", false);
      else this.becomeLeader();
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      const m = emptyMsg(kind, id);
      m.term = term;
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      if (transfer) m.force = true;
      this.send(m);
    }
  }

  private poll(id: number, granted: boolean): "won" | "lost" | "pending" {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.conf.voters) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = Math.floor(this.conf.voters.length / 2) + 1;
    if (yes >= q) return "won";
    if (no > this.conf.voters.length - q) return "lost";
    return "pending";
  }

  // ---- step ----

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === "vote" || m.type === "pre-vote") {
        const inLease =
          this.checkQuorum &&
          ((this.lead !== 0 && this.electionElapsed < this.electionTimeout) ||
            (this.holdoff && this.ticks < this.electionTimeout));
        if (!m.force && inLease) return;
      }
      if (m.type === "pre-vote") {
        // never change term on a pre-vote
      } else if (m.type === "pre-vote-resp" && !m.reject) {
        // granted pre-votes carry the future term
      } else if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, 0);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === "heartbeat" || m.type === "app")) {
        this.send(emptyMsg("app-resp", m.from));
      } else if (m.type === "pre-vote") {
        const r = emptyMsg("pre-vote-resp", m.from);
        r.term = this.term;
        r.reject = true;
        this.send(r);
      }
      return;
    }

    if (m.type === "vote" || m.type === "pre-vote") {
      const canVote =
        this.vote === m.from ||
        (this.vote === 0 && this.lead === 0) ||
        (m.type === "pre-vote" && m.term > this.term);
      const upToDate = this.unsafe.skipUpToDateCheck || this.log.isUpToDate(m.index, m.logTerm);
      const r = emptyMsg(m.type === "vote" ? "vote-resp" : "pre-vote-resp", m.from);
      if (canVote && upToDate) {
        r.term = m.term;
        this.send(r);
        if (m.type === "vote") {
          this.electionElapsed = 0;
          this.vote = m.from;
        }
      } else {
        r.term = this.term;
        r.reject = true;
        this.send(r);
      }
      return;
    }

    if (this.role === "leader") this.stepLeader(m);
    else if (this.role === "follower") this.stepFollower(m);
    else this.stepCandidate(m);
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.lastContactTicks = 0;
    if (m.type === "app-resp") {
      pr.recentActive = true;
      if (m.reject) {
        if (m.rejectHint < pr.match) {
          // The follower lost entries it had acknowledged (e.g. its data_dir was wiped): forget
          // its old match and probe again from its end (a snapshot if that is compacted away).
          // Safe: the commit index never moves backwards; a stale reject only costs a resend.
          pr.match = m.rejectHint;
          pr.becomeProbe();
          this.sendAppend(m.from, true);
          return;
        }
        let nextProbe = m.rejectHint;
        if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
        if (pr.maybeDecrTo(m.index, nextProbe)) {
          if (pr.state === "replicate") pr.becomeProbe();
          this.sendAppend(m.from, true);
        }
        return;
      }
      const wasPaused = pr.isPaused();
      if (pr.maybeUpdate(m.index)) {
        if (pr.state === "probe") pr.becomeReplicate();
        else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === "replicate") pr.freeLE(m.index);
        if (this.maybeCommit() && !this.lazyCommit) this.bcastAppend();
        else if (wasPaused) this.sendAppend(m.from, true);
        while (this.sendAppend(m.from, false)) {}
        if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
      }
    } else if (m.type === "heartbeat-resp") {
      pr.recentActive = true;
      if (m.index > pr.leaseTick && m.index <= this.ticks) pr.leaseTick = m.index;
      pr.probeSent = false;
      if (pr.state === "replicate" && pr.inflights.length >= pr.maxInflight) pr.inflights.shift();
      if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    }
  }

  private stepFollower(m: Message): void {
    if (m.type === "app") {
      this.electionElapsed = 0;
      this.lead = m.from;
      this.handleAppend(m);
    } else if (m.type === "heartbeat") {
      this.electionElapsed = 0;
      this.lead = m.from;
      this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
      const r = emptyMsg("heartbeat-resp", m.from);
      r.index = m.index; // echo the leader's send tick (lease)
      this.send(r);
    } else if (m.type === "snap") {
      this.electionElapsed = 0;
      this.lead = m.from;
      this.handleSnapshot(m);
    } else if (m.type === "timeout-now") {
      this.hup(true);
    }
  }

  private stepCandidate(m: Message): void {
    const respType = this.role === "pre-candidate" ? "pre-vote-resp" : "vote-resp";
    if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
      this.becomeFollower(m.term, m.from);
      this.stepFollower(m);
    } else if (m.type === respType) {
      const r = this.poll(m.from, !m.reject);
      if (r === "won") {
        if (this.role === "pre-candidate") this.campaign("vote", false);
        else {
          this.becomeLeader();
          this.bcastAppend();
        }
      } else if (r === "lost") {
        this.becomeFollower(this.term, 0);
      }
    }
  }

  private handleAppend(m: Message): void {
    const r = emptyMsg("app-resp", m.from);
    if (m.index < this.log.committed) {
      r.index = this.log.committed;
      this.send(r);
      return;
    }
    const res = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (res) {
      this.onLogAppended(res.appended);
      r.index = res.lastNew;
      this.send(r);
      return;
    }
    let hint = Math.min(m.index, this.log.lastIndex());
    hint = this.log.findConflictByTerm(hint, m.logTerm);
    r.index = m.index;
    r.reject = true;
    r.rejectHint = hint;
    r.logTerm = this.log.term(hint);
    this.send(r);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot!;
    const r = emptyMsg("app-resp", m.from);
    if (this.restore(s)) r.index = this.log.lastIndex();
    else r.index = this.log.committed;
    this.send(r);
  }

  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.confBase = { index: s.meta.index, conf: s.meta.confState };
    this.confs = [];
    this.conf = s.meta.confState;
    return true;
  }

  // ---- replication ----

  private maybeCommit(): boolean {
    if (this.role !== "leader") return false;
    const matches: number[] = [];
    for (const id of this.conf.voters) matches.push(this.prs.get(id)?.match ?? 0);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const mci = matches[Math.floor(matches.length / 2)]!;
    if (mci <= this.log.committed) return false;
    if (!this.unsafe.commitPreviousTerm && this.log.term(mci) !== this.term) return false;
    this.log.commitTo(mci);
    return true;
  }

  /** sends an append (or snapshot) if the peer is not paused; returns whether a message went out */
  private sendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let ents: Entry[] = [];
    let compacted = prevIndex < this.log.firstIndex() - 1 || (prevTerm === 0 && prevIndex > 0);
    if (!compacted && pr.next <= this.log.lastIndex()) {
      try {
        ents = this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxMsgSize);
      } catch (err) {
        if (err instanceof RaftError && err.code === "compacted") compacted = true;
        else throw err;
      }
    }
    if (compacted) {
      if (!pr.recentActive) return false;
      const snap = this.log.snapshot();
      if (snap.meta.index === 0) return false;
      pr.becomeSnapshot(snap.meta.index);
      const m = emptyMsg("snap", to);
      m.snapshot = snap;
      this.send(m);
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    const m = emptyMsg("app", to);
    m.index = prevIndex;
    m.logTerm = prevTerm;
    m.entries = ents;
    m.commit = this.log.committed;
    this.send(m);
    pr.sentEntries(ents.length > 0 ? ents[ents.length - 1]!.index : prevIndex, ents.length);
    return true;
  }

  bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id, true);
  }

  private bcastHeartbeat(): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      const m = emptyMsg("heartbeat", id);
      m.commit = Math.min(pr.match, this.log.committed);
      m.index = this.ticks;
      this.send(m);
    }
  }

  private sendTimeoutNow(to: number): void {
    this.timeoutNowSent = true;
    this.send(emptyMsg("timeout-now", to));
  }

  // ---- application requests ----

  propose(data: Uint8Array): ProposeResult {
    if (this.role !== "leader") return { ok: false, error: new NotLeaderError(this.lead) };
    if (this.leadTransferee !== 0) {
      return { ok: false, error: new ProposalDroppedError(`leadership is moving to ${this.leadTransferee}`) };
    }
    this.appendEntries([{ index: 0, term: 0, type: "normal", data }]);
    this.bcastAppend();
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.role !== "leader") return { ok: false, error: new NotLeaderError(this.lead) };
    if (this.leadTransferee !== 0) {
      return { ok: false, error: new ProposalDroppedError(`leadership is moving to ${this.leadTransferee}`) };
    }
    if (this.lastConfIndex() > this.log.committed) {
      return { ok: false, error: new ProposalDroppedError("a membership change is still pending") };
    }
    if (this.log.term(this.log.committed) !== this.term) {
      return {
        ok: false,
        error: new ProposalDroppedError("the leader has not committed an entry in its term yet"),
      };
    }
    const c = this.conf;
    const n = cc.node;
    let next: ConfState;
    const invalid = (why: string): ProposeResult => ({
      ok: false,
      error: new RaftError("invalid", `conf change ${cc.type} ${n}: ${why}`),
    });
    if (!Number.isInteger(n) || n <= 0) return invalid("node id must be a positive integer");
    if (cc.type === "add-learner") {
      if (c.voters.includes(n) || c.learners.includes(n)) return invalid("already a member");
      next = { voters: [...c.voters], learners: [...c.learners, n] };
    } else if (cc.type === "promote") {
      if (!c.learners.includes(n)) return invalid("not a learner");
      const pr = this.prs.get(n);
      if (!pr || pr.match < this.log.committed) return invalid("learner has not caught up yet");
      next = { voters: [...c.voters, n], learners: c.learners.filter((x) => x !== n) };
    } else if (cc.type === "remove") {
      if (n === this.id) return invalid("the leader cannot remove itself; transfer leadership first");
      if (!c.voters.includes(n) && !c.learners.includes(n)) return invalid("not a member");
      next = { voters: c.voters.filter((x) => x !== n), learners: c.learners.filter((x) => x !== n) };
    } else {
      return invalid("unknown type");
    }
    const data = encodeConfChange({ type: cc.type, node: n, confState: next });
    this.appendEntries([{ index: 0, term: 0, type: "conf-change", data }]);
    this.bcastAppend();
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  transferLeadership(to: number): RaftError | undefined {
    if (this.role !== "leader") return new NotLeaderError(this.lead);
    if (to === this.id) return undefined;
    if (!this.isVoter(to)) return new RaftError("invalid", `transfer leadership: ${to} is not a voter`);
    if (this.leadTransferee === to) return undefined;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.prs.get(to)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, true);
    return undefined;
  }

  /** the transport reports a snapshot that could not be delivered */
  reportSnapshot(to: number, ok: boolean): void {
    const pr = this.prs.get(to);
    if (this.role !== "leader" || !pr || pr.state !== "snapshot") return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true;
  }

  status(): Status {
    const progress = new Map<number, Status["progress"] extends Map<number, infer P> ? P : never>();
    if (this.role === "leader") {
      for (const [id, pr] of this.prs) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          learner: pr.learner,
          lastContactTicks: id === this.id ? 0 : pr.lastContactTicks,
        });
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.lead,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      confState: { voters: [...this.conf.voters], learners: [...this.conf.learners] },
      progress,
      leadTransferee: this.leadTransferee,
    };
  }
}
