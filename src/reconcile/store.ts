/**
 * Where the reconciler keeps its state. The reconciler declares what it needs; a single node
 * passes the memory store, a cluster passes a store whose `commit` proposes through Raft and
 * resolves once the delta is applied by the FSM (see src/raft/).
 */
import { applyDelta, emptyState, isEmptyDelta, type ReconcileState, type StateDelta } from "./delta.ts";

export interface StateStore {
  /** The current state (read-only by convention; changed only through commit). */
  state(): ReconcileState;
  /** Applies a delta durably (cluster: replicated). An empty delta is a no-op. */
  commit(delta: StateDelta, signal: AbortSignal): Promise<void>;
  /** False when this node must not write to providers (cluster follower / lost quorum lease). */
  canWrite(): boolean;
}

export function createMemoryStore(initial: ReconcileState = emptyState()): StateStore & { commits: number } {
  const s = initial;
  const store = {
    commits: 0,
    state: () => s,
    commit: async (delta: StateDelta) => {
      if (isEmptyDelta(delta)) return;
      store.commits++;
      applyDelta(s, delta);
    },
    canWrite: () => true,
  };
  return store;
}
