import type { RaftOptions } from "./raft.ts";
import { Raft } from "./raft.ts";
import type {
  ConfChange,
  ConfState,
  HardState,
  Message,
  ProposeResult,
  RaftError,
  Ready,
  SoftState,
  Status,
} from "./types.ts";

export type RawNodeOptions = RaftOptions;

/**
 * The driving API (etcd RawNode): feed it ticks and messages, take a Ready, persist, send, apply,
 * then advance. Pure: no I/O, no clock, no randomness of its own.
 */
export interface RawNode {
  readonly id: number;
  tick(): void;
  /** a message from a peer; messages for another node are ignored */
  step(m: Message): void;
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(cc: ConfChange): ProposeResult;
  /** start an election now (tests, or an operator) */
  campaign(): void;
  transferLeadership(to: number): RaftError | undefined;
  reportSnapshot(to: number, ok: boolean): void;
  /** the leader's own log is durable up to `index` (asyncLocalAppend; see RaftOptions) */
  localAppendDurable(index: number, term: number): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  status(): Status;
  /** role and leader only (status() builds the whole progress map) */
  softState(): SoftState;
  /** leader that heard from a quorum of voters within the last election timeout */
  hasQuorumLease(): boolean;
  /** membership as of the last applied index (for building snapshots) */
  appliedConfState(): ConfState;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

class RawNodeImpl implements RawNode {
  readonly id: number;
  private readonly r: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(o: RawNodeOptions) {
    this.r = new Raft(o);
    this.id = o.id;
    this.prevSoft = { leader: this.r.lead, role: this.r.role };
    this.prevHard = this.r.hardState();
  }

  tick(): void {
    this.r.tick();
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    this.r.step(m);
  }

  propose(data: Uint8Array): ProposeResult {
    return this.r.propose(data);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.r.proposeConfChange(cc);
  }

  campaign(): void {
    this.r.hup(false);
  }

  transferLeadership(to: number): RaftError | undefined {
    return this.r.transferLeadership(to);
  }

  reportSnapshot(to: number, ok: boolean): void {
    this.r.reportSnapshot(to, ok);
  }

  localAppendDurable(index: number, term: number): void {
    this.r.localAppendDurable(index, term);
  }

  hasReady(): boolean {
    const r = this.r;
    if (r.msgs.length > 0) return true;
    if (r.log.unstableEntries().length > 0 || r.log.unstable.snapshot) return true;
    if (!sameHard(r.hardState(), this.prevHard)) return true;
    if (r.lead !== this.prevSoft.leader || r.role !== this.prevSoft.role) return true;
    return r.log.hasNextEnts();
  }

  ready(): Ready {
    const r = this.r;
    const rd: Ready = {
      entries: r.log.unstableEntries().slice(),
      committedEntries: r.log.nextEnts(r.maxApplySize),
      messages: r.msgs,
      mustSync: false,
    };
    r.msgs = [];
    const soft: SoftState = { leader: r.lead, role: r.role };
    if (soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hs = r.hardState();
    if (!sameHard(hs, this.prevHard)) rd.hardState = hs;
    const snap = r.log.unstable.snapshot;
    if (snap) rd.snapshot = snap;
    rd.mustSync =
      rd.entries.length > 0 ||
      rd.snapshot !== undefined ||
      hs.term !== this.prevHard.term ||
      hs.vote !== this.prevHard.vote;
    return rd;
  }

  advance(rd: Ready): void {
    const log = this.r.log;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      log.unstable.stableSnapTo(rd.snapshot.meta.index);
      log.appliedTo(rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) log.unstable.stableTo(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied) log.appliedTo(applied.index);
  }

  status(): Status {
    return this.r.status();
  }

  softState(): SoftState {
    return { leader: this.r.lead, role: this.r.role };
  }

  hasQuorumLease(): boolean {
    return this.r.hasQuorumLease();
  }

  appliedConfState(): ConfState {
    const c = this.r.confAt(this.r.log.applied);
    return { voters: [...c.voters], learners: [...c.learners] };
  }
}

export function createRawNode(o: RawNodeOptions): RawNode {
  return new RawNodeImpl(o);
}
