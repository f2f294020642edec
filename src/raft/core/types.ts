/**
 * Plain data types of the Raft core (etcd-io/raft style). The transport maps `Message` to its
 * wire format; storage persists `HardState`, `Entry` and `Snapshot`.
 */

export type EntryType = "normal" | "conf-change";

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be durable before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/** Cluster membership: voters elect and commit; learners only receive the log. */
export interface ConfState {
  voters: number[];
  learners: number[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export type MessageType =
  | "app"
  | "app-resp"
  | "vote"
  | "vote-resp"
  | "pre-vote"
  | "pre-vote-resp"
  | "heartbeat"
  | "heartbeat-resp"
  | "snap"
  | "timeout-now";

/** One Raft RPC. Fields not used by a type are 0 / [] / false. */
export interface Message {
  type: MessageType;
  from: number;
  to: number;
  term: number;
  /** app: term of the entry at `index`; vote: term of the last entry; app-resp (reject): hint term */
  logTerm: number;
  /**
   * app: index preceding `entries`; vote: last index; app-resp: last matched or rejected index;
   * heartbeat: the leader's tick when sent, echoed by heartbeat-resp (quorum lease)
   */
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  snapshot?: Snapshot;
  /** vote/pre-vote caused by a leadership transfer: granted even inside a leader's lease */
  force?: boolean;
}

export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

export interface SoftState {
  leader: number;
  role: Role;
}

export type ConfChangeType = "add-learner" | "promote" | "remove";

export interface ConfChange {
  type: ConfChangeType;
  node: number;
}

/**
 * Output of the core. Contract (in this order): persist `hardState`, `entries` and `snapshot`
 * durably; then send `messages`; then apply `snapshot` and `committedEntries`; then `advance(rd)`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  /** to append to stable storage (may overwrite a conflicting suffix) BEFORE sending messages */
  entries: Entry[];
  /** to install in stable storage (replaces the log) BEFORE sending messages */
  snapshot?: Snapshot;
  /** committed entries to apply to the state machine, in order */
  committedEntries: Entry[];
  messages: Message[];
  /** true when hardState.term/vote or entries changed: an fsync is required */
  mustSync: boolean;
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: "probe" | "replicate" | "snapshot";
  learner: boolean;
  /** ticks since the leader last heard from this peer (0 for the leader itself) */
  lastContactTicks: number;
}

export interface Status {
  id: number;
  role: Role;
  term: number;
  vote: number;
  leader: number;
  commit: number;
  applied: number;
  lastIndex: number;
  confState: ConfState;
  /** only on the leader */
  progress: Map<number, ProgressStatus>;
  leadTransferee: number;
}

export class RaftError extends Error {
  readonly code: "not_leader" | "proposal_dropped" | "compacted" | "unavailable" | "invalid";
  constructor(code: RaftError["code"], message: string) {
    super(message);
    this.name = "RaftError";
    this.code = code;
  }
}

/** A proposal reached a node that is not the leader. `leader` is 0 when unknown. */
export class NotLeaderError extends RaftError {
  readonly leader: number;
  constructor(leader: number) {
    super("not_leader", leader === 0 ? "not leader, leader unknown" : `not leader, leader is ${leader}`);
    this.name = "NotLeaderError";
    this.leader = leader;
  }
}

export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super("proposal_dropped", `proposal dropped: ${reason}`);
    this.name = "ProposalDroppedError";
  }
}

/** Storage: the index was compacted into the snapshot. */
export class CompactedError extends RaftError {
  constructor(index: number) {
    super("compacted", `index ${index} is compacted`);
    this.name = "CompactedError";
  }
}

/** Storage: the index is beyond the last entry. */
export class UnavailableError extends RaftError {
  constructor(index: number) {
    super("unavailable", `index ${index} is unavailable`);
    this.name = "UnavailableError";
  }
}

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; error: RaftError };
