/**
 * Opens the Raft log for a node: SQLite (WAL, synchronous=FULL) at `<dataDir>/raft.sqlite`.
 * A fresh database is bootstrapped with the static voters from the config (none for a node that
 * joins a running cluster: it gets its membership from the leader's log or snapshot); an existing
 * one keeps its own membership (a restarted node rejoins from its data_dir). A corrupt file is an
 * error.
 */
import { join } from "node:path";
import type { LogStorage } from "./core/index.ts";
import { openSqliteStorage } from "./storage/sqlite-storage.ts";

export function openRaftStorage(
  dataDir: string,
  voters: number[],
  onCheckpointTrouble?: (message: string) => void,
): LogStorage & { close(): void; isEmpty(): boolean } {
  const storage = openSqliteStorage(join(dataDir, "raft.sqlite"), { onCheckpointTrouble });
  if (storage.isEmpty() && voters.length > 0)
    storage.bootstrap({ voters: [...voters].sort((a, b) => a - b), learners: [] });
  return storage;
}
