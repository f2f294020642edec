/**
 * A self-test of the node database: runs the embedded migrations against `path` (which must not
 * hold Raft state yet), writes and re-reads a few entries, reopens, and reports. Used from the
 * compiled binary to prove the migrations are embedded.
 */
import { existsSync } from "node:fs";
import { migrationsFolder } from "../../db/open.ts";
import { PipamError } from "../../lib/errors.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";

export async function raftDbSelfTest(path: string): Promise<string> {
  if (existsSync(path))
    throw new PipamError("usage", `raft db self-test: ${path} already exists; give a new path`);
  const s = openSqliteStorage(path);
  try {
    s.bootstrap({ voters: [1], learners: [] });
    const enc = new TextEncoder();
    s.persist({
      entries: [1, 2, 3].map((i) => ({
        index: i,
        term: 1,
        type: "normal" as const,
        data: enc.encode(`self-test ${i}`),
      })),
      hardState: { term: 1, vote: 1, commit: 3 },
    });
  } finally {
    s.close();
  }
  const r = openSqliteStorage(path);
  try {
    const ents = r.entries(1, 4);
    const hs = r.initialState().hardState;
    const ok =
      ents.length === 3 && hs.commit === 3 && new TextDecoder().decode(ents[2]!.data) === "self-test 3";
    if (!ok)
      throw new PipamError(
        "storage",
        `raft db self-test: read back ${ents.length} entries, commit ${hs.commit}`,
      );
    const migrations = r.raftDb.sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as {
      n: number;
    };
    const journal = r.raftDb.sqlite.query("PRAGMA journal_mode").get() as { journal_mode: string };
    const sync = r.raftDb.sqlite.query("PRAGMA synchronous").get() as { synchronous: number };
    return `raft db self-test ok: ${migrations.n} migration(s) from ${migrationsFolder()}, journal_mode=${journal.journal_mode}, synchronous=${sync.synchronous}, entries=${ents.length}`;
  } finally {
    r.close();
  }
}
