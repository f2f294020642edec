/**
 * Raft storage in SQLite (drizzle, bun:sqlite): hard state, log entries and the latest snapshot.
 * `persist()` writes a Ready's snapshot, entries and (when term or vote change) hard state in one
 * transaction with synchronous=FULL, so it is durable when it returns; `persistUnsynced()` +
 * `flush()` are the same write with the fsync off the JavaScript thread (the leader's appends).
 * The hot path uses prepared statements.
 * The lowest raft_entries row is a dummy at the compaction point (etcd's MemoryStorage layout).
 */
import { closeSync, fdatasync, openSync } from "node:fs";
import { asc, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { RaftDb } from "../../db/open.ts";
import { openRaftDb } from "../../db/open.ts";
import { raftEntries, raftHardState, raftMeta, raftSnapshot } from "../../db/schema.ts";
import { errorMessage, PipamError } from "../../lib/errors.ts";
import type { ConfState, Entry, HardState, LogStorage, PersistBatch, Snapshot } from "../core/index.ts";
import { CompactedError, limitSize, UnavailableError } from "../core/index.ts";

const EMPTY = new Uint8Array(0);

function bytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function typeCode(t: Entry["type"]): number {
  return t === "conf-change" ? 1 : 0;
}

export interface SqliteStorageOptions {
  /** wall clock for snapshot metadata (injected) */
  now?: () => number;
  /** where the background WAL checkpointer reports failures (see openRaftDb) */
  onCheckpointTrouble?: (message: string) => void;
}

export class SqliteStorage implements LogStorage {
  readonly raftDb: RaftDb;
  private first = 1;
  private last = 0;
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private snapMeta: Snapshot["meta"];
  private snapCache: Snapshot | undefined;
  private readonly now: () => number;
  private readonly q;
  /** the in-memory commit index is ahead of the one on disk (commit-only Readys are not written) */
  private hardBehind = false;
  /** the connection's own synchronous mode (FULL unless opened otherwise), restored after an unsynced write */
  private readonly syncMode: string;
  /** the WAL file, opened for flush(); flushes in progress and the callbacks waiting for the next */
  private walFd: number | undefined;
  private flushing = false;
  private flushWaiters: ((err?: Error) => void)[] = [];
  private closed = false;
  /**
   * Terms of the newest entries written by this process (tailTerms[k] is entry tailBase + k):
   * the leader asks for the term before every append it sends, so this spares a query per send.
   */
  private tailBase = 1;
  private tailTerms: number[] = [];

  constructor(raftDb: RaftDb, opts: SqliteStorageOptions = {}) {
    this.raftDb = raftDb;
    this.now = opts.now ?? Date.now;
    const db = raftDb.db;
    const mode = raftDb.sqlite.query("PRAGMA synchronous").get() as { synchronous: number };
    this.syncMode = `PRAGMA synchronous = ${Number(mode.synchronous)}`;
    const p = (n: string) => sql.placeholder(n);
    this.q = {
      term: db
        .select({ term: raftEntries.term })
        .from(raftEntries)
        .where(eq(raftEntries.idx, p("i")))
        .prepare(),
      // the replication read path: raw bun:sqlite measured ~3× drizzle's row mapping (bench/raft-storage)
      range: raftDb.sqlite.prepare<
        { idx: number; term: number; type: number; data: Uint8Array },
        [number, number]
      >("SELECT idx, term, type, data FROM raft_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"),
      insert: db
        .insert(raftEntries)
        .values({ idx: p("idx"), term: p("term"), type: p("type"), data: p("data") })
        .prepare(),
      truncateFrom: db
        .delete(raftEntries)
        .where(gte(raftEntries.idx, p("i")))
        .prepare(),
      deleteBelow: db
        .delete(raftEntries)
        .where(lt(raftEntries.idx, p("i")))
        .prepare(),
      deleteAll: db.delete(raftEntries).prepare(),
      clearData: db
        .update(raftEntries)
        .set({ data: Buffer.alloc(0) })
        .where(eq(raftEntries.idx, p("i")))
        .prepare(),
      hard: db
        .insert(raftHardState)
        .values({ id: 1, term: p("term"), vote: p("vote"), commit: p("commit") })
        .onConflictDoUpdate({
          target: raftHardState.id,
          set: { term: sql`excluded.term`, vote: sql`excluded.vote`, commit: sql`excluded.commit_index` },
        })
        .prepare(),
    };
    try {
      this.load();
    } catch (err) {
      if (err instanceof PipamError) throw err;
      throw new PipamError(
        "storage",
        `raft database ${raftDb.path}: cannot read the raft state: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    this.snapMeta ??= { index: 0, term: 0, confState: { voters: [], learners: [] } };
  }

  private load(): void {
    const db = this.raftDb.db;
    const h = db.select().from(raftHardState).where(eq(raftHardState.id, 1)).get();
    if (h) this.hard = { term: h.term, vote: h.vote, commit: h.commit };
    const s = db
      .select({ idx: raftSnapshot.idx, term: raftSnapshot.term, confState: raftSnapshot.confState })
      .from(raftSnapshot)
      .where(eq(raftSnapshot.id, 1))
      .get();
    this.snapMeta = s
      ? { index: s.idx, term: s.term, confState: this.parseConf(s.confState) }
      : { index: 0, term: 0, confState: { voters: [], learners: [] } };
    const lo = db
      .select({ idx: raftEntries.idx })
      .from(raftEntries)
      .orderBy(asc(raftEntries.idx))
      .limit(1)
      .get();
    const hi = db
      .select({ idx: raftEntries.idx })
      .from(raftEntries)
      .orderBy(desc(raftEntries.idx))
      .limit(1)
      .get();
    if (!lo || !hi) {
      if (h || s)
        throw new PipamError(
          "storage",
          `raft database ${this.raftDb.path}: the log is missing (no dummy entry)`,
        );
      // a fresh database: the dummy entry at 0
      this.q.insert.run({ idx: 0, term: 0, type: 0, data: Buffer.alloc(0) });
      this.first = 1;
      this.last = 0;
      return;
    }
    this.first = lo.idx + 1;
    this.last = hi.idx;
    const count = db.select({ n: sql<number>`count(*)` }).from(raftEntries).get()?.n ?? 0;
    if (count !== this.last - lo.idx + 1) {
      throw new PipamError(
        "storage",
        `raft database ${this.raftDb.path}: the log has holes (${count} rows for [${lo.idx}, ${hi.idx}])`,
      );
    }
    if (this.hard.commit > this.last) {
      throw new PipamError(
        "storage",
        `raft database ${this.raftDb.path}: commit ${this.hard.commit} is beyond the last entry ${this.last}`,
      );
    }
  }

  private parseConf(json: string): ConfState {
    const c = JSON.parse(json) as ConfState;
    if (!Array.isArray(c?.voters) || !Array.isArray(c?.learners)) {
      throw new PipamError("storage", `raft database ${this.raftDb.path}: malformed snapshot membership`);
    }
    return c;
  }

  /** true for a database that has never held Raft state */
  isEmpty(): boolean {
    return (
      this.last === 0 &&
      this.snapMeta.index === 0 &&
      this.hard.term === 0 &&
      this.snapMeta.confState.voters.length === 0
    );
  }

  /** sets the initial membership of a brand-new cluster (snapshot at index 0) */
  bootstrap(confState: ConfState): void {
    if (!this.isEmpty())
      throw new PipamError("storage", `raft database ${this.raftDb.path}: already initialised`);
    const snap: Snapshot = { meta: { index: 0, term: 0, confState }, data: EMPTY };
    this.writeSnapshot(snap);
    this.snapMeta = snap.meta;
    this.snapCache = snap;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    const c = this.snapMeta.confState;
    return { hardState: { ...this.hard }, confState: { voters: [...c.voters], learners: [...c.learners] } };
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.last;
  }

  term(i: number): number {
    if (i < this.first - 1) throw new CompactedError(i);
    if (i > this.last) throw new UnavailableError(i);
    const t = this.tailTerms[i - this.tailBase];
    if (t !== undefined) return t;
    const r = this.q.term.get({ i });
    if (!r) throw new PipamError("storage", `raft database ${this.raftDb.path}: entry ${i} is missing`);
    return r.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo < this.first) throw new CompactedError(lo);
    if (hi > this.last + 1) throw new UnavailableError(hi - 1);
    if (lo >= hi) return [];
    const rows = this.q.range.all(lo, hi);
    if (rows.length !== hi - lo) {
      throw new PipamError(
        "storage",
        `raft database ${this.raftDb.path}: entries [${lo}, ${hi}) are incomplete`,
      );
    }
    return limitSize(
      rows.map((r) => ({
        index: r.idx,
        term: r.term,
        type: r.type === 1 ? "conf-change" : "normal",
        data: bytes(r.data),
      })),
      maxBytes,
    );
  }

  snapshot(): Snapshot {
    if (this.snapCache && this.snapCache.meta.index === this.snapMeta.index) return this.snapCache;
    const r = this.raftDb.db.select().from(raftSnapshot).where(eq(raftSnapshot.id, 1)).get();
    this.snapCache = r
      ? { meta: { index: r.idx, term: r.term, confState: this.parseConf(r.confState) }, data: bytes(r.data) }
      : { meta: { ...this.snapMeta }, data: EMPTY };
    return this.snapCache;
  }

  private writeSnapshot(s: Snapshot): void {
    this.raftDb.db
      .insert(raftSnapshot)
      .values({
        id: 1,
        idx: s.meta.index,
        term: s.meta.term,
        confState: JSON.stringify(s.meta.confState),
        data: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength),
        createdAt: this.now(),
      })
      .onConflictDoUpdate({
        target: raftSnapshot.id,
        set: {
          idx: sql`excluded.idx`,
          term: sql`excluded.term`,
          confState: sql`excluded.conf_state`,
          data: sql`excluded.data`,
          createdAt: sql`excluded.created_at`,
        },
      })
      .run();
  }

  private rememberTerms(ents: readonly Entry[], first: number): void {
    if (ents.length === 0 || ents[ents.length - 1]!.index < first) return;
    const from = Math.max(ents[0]!.index, first);
    const end = this.tailBase + this.tailTerms.length;
    if (from < this.tailBase || from > end) {
      this.tailBase = from;
      this.tailTerms = [];
    } else {
      this.tailTerms.length = from - this.tailBase;
    }
    for (const e of ents) if (e.index >= from) this.tailTerms.push(e.term);
    if (this.tailTerms.length > 8192) {
      const drop = this.tailTerms.length - 4096;
      this.tailTerms.splice(0, drop);
      this.tailBase += drop;
    }
  }

  persist(b: PersistBatch): void {
    if (!b.snapshot && b.entries.length === 0 && !b.hardState) return;
    let first = this.first;
    let last = this.last;
    let snapMeta = this.snapMeta;
    // The hard state goes to disk only when term or vote change (or with a snapshot): the commit
    // index need not be durable — a restarted node starts from the commit index it has on disk
    // (never above the real one, never below its snapshot) and learns the rest from the leader.
    // So a Ready that only moves the commit index writes nothing, and an append writes its
    // entries alone (one page less per commit). The commit index is written with the next term
    // change, snapshot or close.
    const termVote =
      b.hardState !== undefined &&
      (b.hardState.term !== this.hard.term || b.hardState.vote !== this.hard.vote);
    if (!b.snapshot && b.entries.length === 0 && !termVote) {
      this.hard = { ...b.hardState! };
      this.hardBehind = true;
      return;
    }
    const hard = termVote || b.snapshot ? (b.hardState ?? this.hard) : undefined;
    const tx = this.raftDb.sqlite.transaction(() => {
      if (b.snapshot && b.snapshot.meta.index > snapMeta.index) {
        const s = b.snapshot;
        this.writeSnapshot(s);
        this.q.deleteAll.run();
        this.q.insert.run({ idx: s.meta.index, term: s.meta.term, type: 0, data: Buffer.alloc(0) });
        snapMeta = s.meta;
        first = s.meta.index + 1;
        last = s.meta.index;
      }
      let ents = b.entries;
      if (ents.length > 0 && ents[ents.length - 1]!.index >= first) {
        if (ents[0]!.index < first) ents = ents.slice(first - ents[0]!.index);
        const from = ents[0]!.index;
        if (from > last + 1) {
          throw new PipamError("storage", `raft append: missing log entry [last ${last}, append at ${from}]`);
        }
        if (from <= last) this.q.truncateFrom.run({ i: from });
        for (const e of ents) {
          this.q.insert.run({
            idx: e.index,
            term: e.term,
            type: typeCode(e.type),
            data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
          });
        }
        last = ents[ents.length - 1]!.index;
      }
      if (hard) this.q.hard.run({ term: hard.term, vote: hard.vote, commit: hard.commit });
    });
    tx();
    if (hard) this.hardBehind = false;
    else if (b.hardState) this.hardBehind = true;
    if (snapMeta !== this.snapMeta) {
      this.snapMeta = snapMeta;
      this.snapCache = b.snapshot;
      this.tailBase = snapMeta.index + 1;
      this.tailTerms = [];
    }
    this.rememberTerms(b.entries, first);
    this.first = first;
    this.last = last;
    if (b.hardState) this.hard = { ...b.hardState };
  }

  /**
   * The write without the fsync: the transaction commits with synchronous=NORMAL (in WAL mode a
   * crash may lose it, never corrupt the database), and `flush` fsyncs the WAL file on a thread
   * of the pool. Any later synced write (synchronous=FULL) makes it durable too.
   */
  persistUnsynced(b: PersistBatch): void {
    this.unsynced(() => this.persist(b));
  }

  /** Runs `fn`'s writes with synchronous=NORMAL (committed, not fsynced), then the connection's own mode. */
  private unsynced(fn: () => void): void {
    this.raftDb.sqlite.exec("PRAGMA synchronous = NORMAL");
    try {
      fn();
    } finally {
      this.raftDb.sqlite.exec(this.syncMode);
    }
  }

  /**
   * fsyncs the WAL file off the JavaScript thread; calls that arrive meanwhile share the next one.
   * Callbacks still pending at close() are dropped (the node is stopped by then).
   */
  flush(done: (err?: Error) => void): void {
    this.flushWaiters.push(done);
    if (!this.flushing) this.startFlush();
  }

  private startFlush(): void {
    const batch = this.flushWaiters;
    this.flushWaiters = [];
    const finish = (err?: Error) => {
      this.flushing = false;
      if (this.closed) {
        this.closeWal();
        return;
      }
      for (const w of batch) w(err);
      if (this.flushWaiters.length > 0) this.startFlush();
    };
    if (this.raftDb.path === ":memory:") {
      queueMicrotask(() => finish());
      return;
    }
    try {
      this.walFd ??= openSync(`${this.raftDb.path}-wal`, "r");
    } catch (err) {
      queueMicrotask(() =>
        finish(
          new PipamError(
            "storage",
            `raft database ${this.raftDb.path}: cannot open the WAL to fsync it: ${errorMessage(err)}`,
          ),
        ),
      );
      return;
    }
    this.flushing = true;
    // fdatasync, not fsync: it still writes the file size when the WAL grew, and skips the inode
    // write for a new mtime alone (the WAL is overwritten in place once it has been reset).
    // Single-entry commits take 0.93–0.96× as long (scripts/bench/raft-storage.ts, last line).
    fdatasync(this.walFd, (err) =>
      finish(
        err
          ? new PipamError(
              "storage",
              `raft database ${this.raftDb.path}: fdatasync of the WAL failed: ${err.message}`,
            )
          : undefined,
      ),
    );
  }

  /** Writes a commit index that only lives in memory so far (see persist). */
  private flushHard(): void {
    if (!this.hardBehind) return;
    const h = this.hard;
    this.q.hard.run({ term: h.term, vote: h.vote, commit: h.commit });
    this.hardBehind = false;
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snapMeta.index) throw new CompactedError(index);
    if (index > this.last) throw new UnavailableError(index);
    const s: Snapshot = { meta: { index, term: this.term(index), confState }, data };
    this.writeSnapshot(s);
    this.flushHard();
    this.snapMeta = s.meta;
    this.snapCache = s;
    return s;
  }

  compact(index: number): void {
    if (index <= this.first - 1) return;
    if (index > this.snapMeta.index) {
      throw new PipamError(
        "storage",
        `raft compact ${index} is beyond the snapshot at ${this.snapMeta.index}`,
      );
    }
    // Not fsynced: the snapshot it relies on is already on disk, and a compaction lost in a
    // crash only leaves old entries in place (the next one removes them).
    this.unsynced(() =>
      this.raftDb.sqlite.transaction(() => {
        this.q.deleteBelow.run({ i: index });
        this.q.clearData.run({ i: index });
      })(),
    );
    this.first = index + 1;
  }

  getMeta(key: string): string | undefined {
    return this.raftDb.db.select().from(raftMeta).where(eq(raftMeta.key, key)).get()?.value;
  }

  setMeta(key: string, value: string): void {
    this.raftDb.db
      .insert(raftMeta)
      .values({ key, value })
      .onConflictDoUpdate({ target: raftMeta.key, set: { value } })
      .run();
  }

  close(): void {
    try {
      this.flushHard();
    } catch {
      // best effort: the commit index is relearned from the leader
    }
    this.raftDb.close();
    this.closed = true;
    if (!this.flushing) this.closeWal();
  }

  private closeWal(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }
}

/** Opens (creating and migrating) the database at `path` and its Raft storage. */
export function openSqliteStorage(path: string, opts: SqliteStorageOptions = {}): SqliteStorage {
  const raftDb = openRaftDb(path, { onCheckpointTrouble: opts.onCheckpointTrouble });
  try {
    return new SqliteStorage(raftDb, opts);
  } catch (err) {
    raftDb.close();
    throw err;
  }
}
