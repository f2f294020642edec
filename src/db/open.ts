/**
 * Opens (creating if absent) the node's SQLite database: WAL, synchronous=FULL, integrity check,
 * embedded drizzle migrations. A corrupt, truncated or foreign file is refused with
 * PipamError("storage"), never replaced by an empty database.
 */
import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { errorMessage, PipamError } from "../lib/errors.ts";
import { type CheckpointEvent, startCheckpointer } from "./checkpointer.ts";
import * as schema from "./schema.ts";

export type PipamDb = BunSQLiteDatabase<typeof schema>;

export interface RaftDb {
  readonly path: string;
  readonly sqlite: Database;
  readonly db: PipamDb;
  /** What the background checkpointer last reported (undefined without one). */
  checkpoints(): { last?: CheckpointEvent; errors: number } | undefined;
  close(): void;
}

/** In the compiled binary the migrations are the `--asset ./src/db/drizzle` folder at /$bunfs/root/drizzle. */
export function migrationsFolder(): string {
  const dir = import.meta.dir;
  if (dir.startsWith("/$bunfs") || dir.startsWith("B:/~BUN") || dir.startsWith("B:\\~BUN"))
    return "/$bunfs/root/drizzle";
  return join(dir, "drizzle");
}

export interface OpenOptions {
  /** synchronous mode; FULL (default) is what Raft needs */
  synchronous?: "FULL" | "NORMAL";
  /** skip PRAGMA quick_check (benchmarks on fresh files) */
  skipIntegrityCheck?: boolean;
  /**
   * WAL checkpoints on a worker thread (default: on for files). The connection keeps SQLite's own
   * automatic checkpoint (1,000 pages), which then finds nearly everything already copied: it
   * costs little, and it is what lets the WAL start over instead of growing.
   */
  backgroundCheckpoints?: boolean;
  /** the worker's interval (default 200 ms) */
  checkpointEveryMs?: number;
  /**
   * Told when the worker's checkpoints start failing (once per run of failures) and when they
   * work again; the writer's own checkpoint keeps the WAL bounded meanwhile.
   */
  onCheckpointTrouble?: (message: string) => void;
}

export function openRaftDb(path: string, opts: OpenOptions = {}): RaftDb {
  const where = `raft database ${path}`;
  let existed = false;
  if (path !== ":memory:" && existsSync(path)) {
    existed = true;
    const st = statSync(path);
    if (!st.isFile()) throw new PipamError("storage", `${where}: not a regular file`);
    if (st.size === 0) {
      throw new PipamError(
        "storage",
        `${where}: the file exists but is empty (truncated?); refusing to start with an empty log — restore it or remove it to rejoin as a new member`,
      );
    }
  }
  let sqlite: Database | undefined;
  try {
    sqlite = new Database(path, { create: true, strict: true });
    sqlite.exec("PRAGMA busy_timeout = 5000");
    sqlite.exec("PRAGMA journal_mode = WAL");
    sqlite.exec(`PRAGMA synchronous = ${opts.synchronous ?? "FULL"}`);
    if (existed && !opts.skipIntegrityCheck) {
      const rows = sqlite.query("PRAGMA quick_check").all() as { quick_check: string }[];
      const bad = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
      if (bad.length > 0) throw new Error(`integrity check failed: ${bad.slice(0, 3).join("; ")}`);
    }
  } catch (err) {
    sqlite?.close();
    if (err instanceof PipamError) throw err;
    throw new PipamError(
      "storage",
      `${where} is unreadable or corrupt (${errorMessage(err)}); refusing to start — restore it from a backup or remove it to rejoin as a new member`,
      { cause: err },
    );
  }
  const db = drizzle(sqlite, { schema });
  try {
    migrate(db, { migrationsFolder: migrationsFolder() });
  } catch (err) {
    sqlite.close();
    throw new PipamError("storage", `${where}: migrations failed: ${errorMessage(err)}`, { cause: err });
  }
  const s = sqlite;
  let cp: ReturnType<typeof startCheckpointer> | undefined;
  let last: CheckpointEvent | undefined;
  let errors = 0;
  if (path !== ":memory:" && opts.backgroundCheckpoints !== false) {
    cp = startCheckpointer(path, {
      everyMs: opts.checkpointEveryMs,
      onEvent: (e) => {
        if (e.type === "error") {
          errors++;
          if (last?.type !== "error")
            opts.onCheckpointTrouble?.(`${where}: background WAL checkpoint failed: ${e.error}`);
        } else if (e.type === "checkpoint" && last?.type === "error") {
          opts.onCheckpointTrouble?.(`${where}: background WAL checkpoints work again`);
        }
        last = e;
      },
    });
  }
  return {
    path,
    sqlite: s,
    db,
    checkpoints: () => (cp ? { last, errors } : undefined),
    close: () => {
      cp?.stop();
      s.close();
    },
  };
}
