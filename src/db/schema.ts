/**
 * The SQLite schema of a pipam node (drizzle). Raft's durable state lives in the raft_* tables;
 * other tables (e.g. the reconciled state / FSM snapshot) may be added beside them.
 * After a change: `bunx drizzle-kit generate` writes a new migration into src/db/drizzle.
 */
import { blob, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row (id = 1): term, vote, commit. */
export const raftHardState = sqliteTable("raft_hard_state", {
  id: integer("id").primaryKey(),
  term: integer("term").notNull(),
  vote: integer("vote").notNull(),
  commit: integer("commit_index").notNull(),
});

/** The log. The lowest row is a dummy at the compaction point (its term answers term(first - 1)). */
export const raftEntries = sqliteTable("raft_entries", {
  idx: integer("idx").primaryKey(),
  term: integer("term").notNull(),
  /** 0 normal, 1 conf-change */
  type: integer("type").notNull(),
  data: blob("data", { mode: "buffer" }).notNull(),
});

/** One row (id = 1): the latest snapshot and its metadata. */
export const raftSnapshot = sqliteTable("raft_snapshot", {
  id: integer("id").primaryKey(),
  idx: integer("idx").notNull(),
  term: integer("term").notNull(),
  /** JSON {voters, learners} */
  confState: text("conf_state").notNull(),
  data: blob("data", { mode: "buffer" }).notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Free-form node metadata (node id, cluster id, ...). */
export const raftMeta = sqliteTable("raft_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
