/**
 * Opens the Raft log for a node: SQLite in `dataDir` (durable, fsynced). A fresh directory is
 * bootstrapped with the static voters from the config.
 */
import type { LogStorage } from "./core/index.ts";
import { MemoryStorage } from "./core/index.ts";

export function openRaftStorage(_dataDir: string, voters: number[]): LogStorage & { close?: () => void } {
  // Interim until the SQLite storage lands: in memory (a restarted node rejoins empty).
  return new MemoryStorage({ voters, learners: [] });
}
