/**
 * The replicated state machine: pipam's reconciled state (inventory, owned rrsets, unsynced
 * entries). Every committed entry is one StateDelta (JSON); every node applies the same deltas
 * in the same order. `createReplicatedStore` is the cluster's StateStore: `commit` proposes the
 * delta and resolves once it is applied here; an empty delta is never proposed (an unchanged
 * cycle commits nothing).
 */
import type { Logger } from "../log/logger.ts";
import {
  applyDelta,
  decodeState,
  emptyState,
  encodeState,
  isEmptyDelta,
  type ReconcileState,
  type StateDelta,
} from "../reconcile/delta.ts";
import type { StateStore } from "../reconcile/store.ts";
import type { Entry } from "./core/index.ts";
import type { Fsm, RaftNode } from "./node.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface StateFsm extends Fsm {
  state(): ReconcileState;
  /** Entries applied since start (status). */
  appliedCount(): number;
}

export function createStateFsm(logger: Logger): StateFsm {
  let state = emptyState();
  let count = 0;
  return {
    apply(e: Entry) {
      let delta: StateDelta;
      try {
        delta = JSON.parse(dec.decode(e.data)) as StateDelta;
      } catch (err) {
        // Deterministic on every node: a bad entry is skipped everywhere alike.
        logger.error("skipping undecodable raft entry", { index: e.index, error: String(err) });
        return;
      }
      applyDelta(state, delta);
      count++;
    },
    snapshot: () => enc.encode(encodeState(state)),
    restore(data) {
      state = data.length === 0 ? emptyState() : decodeState(dec.decode(data));
    },
    state: () => state,
    appliedCount: () => count,
  };
}

export function encodeDelta(d: StateDelta): Uint8Array {
  return enc.encode(JSON.stringify(d));
}

export function createReplicatedStore(node: RaftNode, fsm: StateFsm): StateStore {
  return {
    state: () => fsm.state(),
    async commit(delta, signal) {
      if (isEmptyDelta(delta)) return;
      await node.propose(encodeDelta(delta), signal);
    },
    canWrite: () => node.hasLease(),
  };
}
