/**
 * The driver loop of etcd's README, around the pure core: a timer ticks; every event (tick,
 * peer messages, proposal) runs `process()`: while the core has a Ready — persist (synchronously,
 * fsynced by the storage) → send → apply committed entries (and snapshots) → advance. Proposals
 * resolve when their entry is applied here, or reject when another entry lands at their index.
 *
 * Entries: the node reserves the first byte of normal entries. 0x01 + JSON = membership URL
 * record (handled here), 0x00 + bytes = opaque no-op (benchmarks), anything else goes to the FSM.
 */
import type { Logger } from "../log/logger.ts";
import {
  type ConfChange,
  createRawNode,
  decodeConfChange,
  type Entry,
  type LogStorage,
  type Message,
  type RawNode,
  type Ready,
  type Status,
} from "./core/index.ts";

export interface Fsm {
  apply(entry: Entry): void;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

export interface Sender {
  setPeer(id: number, url: string): void;
  removePeer(id: number): void;
  send(msgs: Message[]): void;
}

export interface RaftNodeOptions {
  id: number;
  storage: LogStorage;
  fsm: Fsm;
  sender: Sender;
  /** Static peers (config): id → URL, including this node. */
  peers: Map<number, string>;
  tickMs: number;
  electionTick?: number;
  heartbeatTick?: number;
  rand: () => number;
  logger: Logger;
  /**
   * Take an FSM snapshot every this many applied entries (default 10,000) and keep this many
   * entries before it (default 5,000, etcd's catch-up count) for followers that lag a little.
   * A snapshot and the compaction after it cost a few ms on every member at about the same index.
   */
  snapshotEvery?: number;
  keepEntries?: number;
  /**
   * The leader writes its own appends without waiting for the fsync, which runs off the
   * JavaScript thread; it counts toward a commit once durable (RaftOptions.asyncLocalAppend), so
   * its event loop keeps handling followers' answers meanwhile. Needs storage.persistUnsynced and
   * storage.flush. Default false.
   */
  asyncLeaderWrites?: boolean;
}

export interface Proposed {
  index: number;
  term: number;
}

export interface RaftNode {
  start(): void;
  stop(): void;
  step(msgs: Message[]): void;
  /**
   * Steps a batch from one peer and processes it at once (persisted before this returns); the
   * node's messages to that peer come back to be sent inline in the RPC response, the rest go out
   * through the sender as usual. Snapshots are never returned inline.
   */
  stepAndReply(msgs: Message[], from: number): Message[];
  /** Resolves once the entry is applied on this node. Throws NotLeaderError on a follower. */
  propose(data: Uint8Array, signal?: AbortSignal): Promise<Proposed>;
  proposeConfChange(cc: ConfChange, url?: string, signal?: AbortSignal): Promise<Proposed>;
  transferLeadership(to: number): void;
  reportSnapshot(to: number, ok: boolean): void;
  status(): Status;
  isLeader(): boolean;
  /** Leader that heard from a quorum within the last election timeout (safe to write to providers). */
  hasLease(): boolean;
  leader(): number;
  memberUrls(): Map<number, string>;
  /** Ticks since this node last heard from each peer (leader's view). */
  onRoleChange(fn: (role: string, leader: number) => void): void;
}

/**
 * Log entries deleted per Ready while compacting: twice what the Ready appended, at least
 * COMPACT_MIN and at most COMPACT_MAX. Deleting runs at twice the rate of appending, so a
 * compaction (5,000 entries by default) ends 2,500 appended entries after its snapshot, long
 * before the next one; and no Ready pays for more than its share. Slices of a fixed 500 cost
 * 1–10 ms each on every member at once, ten of them in a row after every snapshot (with
 * 1 KiB entries; `bun scripts/bench/cluster.ts --dump`, the first proposals after the
 * snapshot that lands when the 10,000-proposal warm-up ends).
 */
const COMPACT_MIN = 16;
const COMPACT_MAX = 500;
export function compactSlice(appended: number): number {
  return Math.min(COMPACT_MAX, Math.max(COMPACT_MIN, 2 * appended));
}
const TAG_NOOP = 0x00;
const TAG_MEMBER = 0x01;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function opaqueEntry(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = TAG_NOOP;
  out.set(payload, 1);
  return out;
}

interface Waiter {
  term: number;
  resolve: (p: Proposed) => void;
  reject: (e: Error) => void;
}

export function createRaftNode(o: RaftNodeOptions): RaftNode {
  const log = o.logger.child({ raft: o.id });
  const storage = o.storage;
  const asyncWrites =
    o.asyncLeaderWrites === true && storage.persistUnsynced !== undefined && storage.flush !== undefined;
  const members = new Map(o.peers);
  // Restore the FSM from the snapshot; the core re-delivers committed entries after it.
  const snap = storage.snapshot();
  if (snap.meta.index > 0) restoreSnapshot(snap.data);
  const rn: RawNode = createRawNode({
    id: o.id,
    storage,
    electionTick: o.electionTick ?? 10,
    heartbeatTick: o.heartbeatTick ?? 1,
    rand: o.rand,
    preVote: true,
    checkQuorum: true,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    // the commit index reaches followers with the next append or heartbeat (one tick at most)
    lazyCommit: true,
    asyncLocalAppend: asyncWrites,
    applied: snap.meta.index,
  });
  for (const [id, url] of members) if (id !== o.id) o.sender.setPeer(id, url);
  const waiters = new Map<number, Waiter>();
  const roleFns: ((role: string, leader: number) => void)[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let applied = snap.meta.index;
  let lastSnapshot = snap.meta.index;
  const snapshotEvery = o.snapshotEvery ?? 10_000;
  const keep = o.keepEntries ?? 5_000;
  /** compact the log up to here (in slices) */
  let compactTo = 0;
  let processing = false;
  /** The role of the last Ready's soft state, and the term/vote last written to storage. */
  let role = "follower";
  let durable = storage.initialState().hardState;
  /** While a stepAndReply runs: its caller and the messages for it. */
  let capture: { peer: number; out: Message[] } | undefined;

  function send(msgs: Message[]) {
    const c = capture;
    if (!c) {
      o.sender.send(msgs);
      return;
    }
    const rest: Message[] = [];
    for (const m of msgs) {
      if (m.to === c.peer && m.type !== "snap") c.out.push(m);
      else rest.push(m);
    }
    if (rest.length > 0) o.sender.send(rest);
  }

  function restoreSnapshot(data: Uint8Array) {
    const text = dec.decode(data);
    const parsed = JSON.parse(text) as { members: [number, string][]; fsm: string };
    members.clear();
    for (const [id, url] of parsed.members) members.set(id, url);
    o.fsm.restore(enc.encode(parsed.fsm));
  }

  function makeSnapshotData(): Uint8Array {
    return enc.encode(JSON.stringify({ members: [...members], fsm: dec.decode(o.fsm.snapshot()) }));
  }

  function applyEntry(e: Entry) {
    if (e.type === "conf-change") {
      const cc = decodeConfChange(e.data);
      if (cc.type === "remove") {
        members.delete(cc.node);
        o.sender.removePeer(cc.node);
      } else {
        const url = members.get(cc.node);
        if (url && cc.node !== o.id) o.sender.setPeer(cc.node, url);
      }
      log.info("membership changed", { change: cc.type, node: cc.node, voters: cc.confState.voters });
    } else if (e.data.length > 0) {
      const tag = e.data[0];
      if (tag === TAG_MEMBER) {
        const m = JSON.parse(dec.decode(e.data.subarray(1))) as { id: number; url: string };
        members.set(m.id, m.url);
        if (m.id !== o.id) o.sender.setPeer(m.id, m.url);
      } else if (tag !== TAG_NOOP) {
        o.fsm.apply(e);
      }
    }
    const w = waiters.get(e.index);
    if (w) {
      waiters.delete(e.index);
      if (w.term === e.term) w.resolve({ index: e.index, term: e.term });
      else w.reject(new Error("proposal lost: leadership changed before it committed"));
    }
  }

  function handle(rd: Ready) {
    if (rd.softState) role = rd.softState.role;
    // A leader sends its appends before writing them to its own disk, so the followers persist
    // in parallel with it (Raft thesis §10.2.1; etcd does the same): the leader counts itself
    // toward a commit at once, but its own write is done before this function returns, so
    // before any follower's answer is handled and before anything is applied. Only when term
    // and vote are unchanged: a Ready that changes them is always persisted first.
    const early =
      role === "leader" &&
      rd.messages.length > 0 &&
      !rd.snapshot &&
      (!rd.hardState || (rd.hardState.term === durable.term && rd.hardState.vote === durable.vote));
    if (early) send(rd.messages);
    if (rd.hardState || rd.entries.length > 0 || rd.snapshot) {
      const last = rd.entries[rd.entries.length - 1];
      const batch = { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot };
      if (asyncWrites && early && last) {
        // the leader's appends: written now, durable when the fsync (off this thread) is done
        storage.persistUnsynced!(batch);
        storage.flush!((err) => {
          if (!timer) return;
          if (err) {
            log.error("raft log fsync failed; stopping the node", { error: String(err) });
            stop();
            return;
          }
          rn.localAppendDurable(last.index, last.term);
          schedule();
        });
      } else {
        storage.persist(batch);
        if (asyncWrites && last) rn.localAppendDurable(last.index, last.term);
      }
      if (rd.hardState) durable = rd.hardState;
    }
    if (!early && rd.messages.length > 0) send(rd.messages);
    if (rd.snapshot) {
      restoreSnapshot(rd.snapshot.data);
      applied = rd.snapshot.meta.index;
      lastSnapshot = applied;
      for (const [id, url] of members) if (id !== o.id) o.sender.setPeer(id, url);
    }
    for (const e of rd.committedEntries) {
      applyEntry(e);
      applied = e.index;
    }
    if (rd.softState) {
      log.info("raft role", { role: rd.softState.role, leader: rd.softState.leader, term: rn.status().term });
      for (const fn of roleFns) fn(rd.softState.role, rd.softState.leader);
    }
    rn.advance(rd);
    if (applied - lastSnapshot >= snapshotEvery) {
      storage.createSnapshot(applied, rn.appliedConfState(), makeSnapshotData());
      lastSnapshot = applied;
      compactTo = Math.max(compactTo, applied - keep);
    }
    // The log is compacted in slices, one per Ready: deleting thousands of entries in one
    // transaction would hold up every proposal and answer for tens of milliseconds.
    const first = storage.firstIndex();
    if (compactTo > first) storage.compact(Math.min(compactTo, first + compactSlice(rd.entries.length)));
  }

  function process() {
    if (processing) return;
    processing = true;
    try {
      let guard = 0;
      while (rn.hasReady() && guard++ < 1000) handle(rn.ready());
    } catch (err) {
      log.error("raft ready loop failed; stopping the node", { error: String(err) });
      stop();
      throw err;
    } finally {
      processing = false;
    }
  }

  /**
   * Proposals and peer messages that arrive in one turn of the event loop share one Ready: one
   * SQLite transaction (one fsync) and one RPC per peer for all of them (group commit).
   */
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (timer) process();
    });
  }

  function stepAll(msgs: Message[]) {
    for (const m of msgs) if (m.to === o.id) rn.step(m);
  }

  function wait(res: ReturnType<RawNode["propose"]>, signal?: AbortSignal): Promise<Proposed> {
    if (!res.ok) return Promise.reject(res.error);
    const p = new Promise<Proposed>((resolve, reject) => {
      if (!signal) {
        waiters.set(res.index, { term: res.term, resolve, reject });
        return;
      }
      // the abort listener goes once the proposal settles (a long-lived signal must not collect them)
      const onAbort = () => {
        waiters.delete(res.index);
        reject(signal.reason ?? new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiters.set(res.index, {
        term: res.term,
        resolve: (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
    });
    schedule();
    return p;
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = undefined;
    for (const w of waiters.values()) w.reject(new Error("raft node stopped"));
    waiters.clear();
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => {
        rn.tick();
        process();
      }, o.tickMs);
      process();
    },
    stop,
    step(msgs) {
      stepAll(msgs);
      schedule();
    },
    stepAndReply(msgs, from) {
      stepAll(msgs);
      if (!timer || processing) {
        schedule();
        return [];
      }
      const c = { peer: from, out: [] as Message[] };
      capture = c;
      try {
        process();
      } finally {
        capture = undefined;
      }
      return c.out;
    },
    propose(data, signal) {
      return wait(rn.propose(data), signal);
    },
    async proposeConfChange(cc, url, signal) {
      if (url && cc.type !== "remove") {
        const body = enc.encode(JSON.stringify({ id: cc.node, url }));
        const rec = new Uint8Array(body.length + 1);
        rec[0] = TAG_MEMBER;
        rec.set(body, 1);
        await wait(rn.propose(rec), signal);
      }
      return wait(rn.proposeConfChange(cc), signal);
    },
    transferLeadership(to) {
      const err = rn.transferLeadership(to);
      process();
      if (err) throw err;
    },
    reportSnapshot(to, ok) {
      rn.reportSnapshot(to, ok);
      process();
    },
    status: () => rn.status(),
    isLeader: () => rn.softState().role === "leader",
    hasLease: () => rn.hasQuorumLease(),
    leader: () => rn.softState().leader,
    memberUrls: () => new Map(members),
    onRoleChange(fn) {
      roleFns.push(fn);
    },
  };
}
