/**
 * The pure Raft core (etcd-io/raft style): no I/O, no clock, no randomness of its own.
 *
 * Driver loop (the node driver owns timers, disk and network):
 *   const rn = createRawNode({ id, storage, rand, electionTick: 10, heartbeatTick: 1 });
 *   every 100 ms: rn.tick();   on a peer message: rn.step(msg);   to write: rn.propose(bytes)
 *   while (rn.hasReady()) {
 *     const rd = rn.ready();
 *     storage.persist({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot }); // durable first
 *     send(rd.messages);                                   // then send
 *     if (rd.snapshot) restoreStateMachine(rd.snapshot.data);
 *     for (const e of rd.committedEntries) apply(e);       // then apply ("normal" data; "conf-change" is informational)
 *     rn.advance(rd);
 *   }
 * A proposal is acknowledged when an entry with the returned {index, term} is applied; another
 * term at that index means it was lost (retry). Followers answer proposals with NotLeaderError.
 * Membership: bootstrap a new cluster's storage with its voters; a joining node starts with
 * empty storage (no bootstrap), is added by `proposeConfChange({type: "add-learner"})`, then
 * promoted; a removed node should be shut down by its operator (it never learns of its removal
 * if it was unreachable). Compaction: storage.createSnapshot(applied, rn.appliedConfState(),
 * stateMachineBytes) then storage.compact(index).
 */
export type { ConfChangeData, RaftOptions } from "./raft.ts";
export { decodeConfChange, encodeConfChange } from "./raft.ts";
export type { RawNode, RawNodeOptions } from "./raw-node.ts";
export { createRawNode } from "./raw-node.ts";
export type { LogStorage, PersistBatch, Storage } from "./storage.ts";
export { entrySize, limitSize, MemoryStorage } from "./storage.ts";
export * from "./types.ts";
