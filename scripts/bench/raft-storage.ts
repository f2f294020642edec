/**
 * Raft storage benchmark: append throughput and per-persist latency with fsync
 * (WAL, synchronous=FULL), 1 KiB entries, 1 entry vs 64 entries per transaction (each persist also
 * upserts the hard state, like a Ready), raw bun:sqlite prepared statements vs SqliteStorage
 * (drizzle prepared statements), plus 64-entry range reads; and the leader's way to write — the
 * transaction without its fsync (persistUnsynced), then the WAL file synced by hand — with fsync vs
 * fdatasync of the WAL, single-entry, in interleaved blocks of 200.
 *   bun scripts/bench/raft-storage.ts [--txs 2000]
 */
import { Database } from "bun:sqlite";
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { and, asc, gte, lt, sql } from "drizzle-orm";
import { raftEntries } from "../../src/db/schema.ts";
import type { Entry } from "../../src/raft/core/index.ts";
import { openSqliteStorage } from "../../src/raft/storage/sqlite-storage.ts";

const { values } = parseArgs({ options: { txs: { type: "string", default: "2000" } } });
const TXS = Number(values.txs);
const dir = mkdtempSync(join(tmpdir(), "pipam-bench-raft-"));
const payload = new Uint8Array(1024).fill(7);

interface Result {
  entriesPerSec: number;
  p50: number;
  p99: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function measure(batch: number, txs: number, write: (from: number, n: number) => void): Result {
  const lat: number[] = [];
  let next = 1;
  const t0 = performance.now();
  for (let t = 0; t < txs; t++) {
    const a = performance.now();
    write(next, batch);
    lat.push(performance.now() - a);
    next += batch;
  }
  const secs = (performance.now() - t0) / 1000;
  return { entriesPerSec: (txs * batch) / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

function raw(batch: number, txs: number): { w: Result; readPerSec: number } {
  const path = join(dir, `raw-${batch}.db`);
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec(
    "CREATE TABLE raft_entries (idx INTEGER PRIMARY KEY NOT NULL, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL)",
  );
  db.exec(
    "CREATE TABLE raft_hard_state (id INTEGER PRIMARY KEY NOT NULL, term INTEGER NOT NULL, vote INTEGER NOT NULL, commit_index INTEGER NOT NULL)",
  );
  const ins = db.prepare(
    "INSERT INTO raft_entries (idx, term, type, data) VALUES ($idx, $term, $type, $data)",
  );
  const hs = db.prepare(
    "INSERT INTO raft_hard_state (id, term, vote, commit_index) VALUES (1, $term, $vote, $commit) ON CONFLICT(id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index",
  );
  const tx = db.transaction((from: number, n: number) => {
    for (let i = from; i < from + n; i++) ins.run({ idx: i, term: 1, type: 0, data: payload });
    hs.run({ term: 1, vote: 1, commit: from - 1 });
  });
  const w = measure(batch, txs, (from, n) => tx(from, n));
  const sel = db.prepare(
    "SELECT idx, term, type, data FROM raft_entries WHERE idx >= $lo AND idx < $hi ORDER BY idx",
  );
  const last = batch * txs;
  let read = 0;
  let t0 = 0;
  for (let r = 0; r < 2300; r++) {
    if (r === 300) {
      t0 = performance.now();
      read = 0;
    }
    const lo = 1 + ((r * 64) % Math.max(1, last - 64));
    read += sel.all({ lo, hi: lo + 64 }).length;
  }
  const readPerSec = read / ((performance.now() - t0) / 1000);
  db.close();
  return { w, readPerSec };
}

function drizzle(batch: number, txs: number): { w: Result; readPerSec: number; drizzleReadPerSec: number } {
  const s = openSqliteStorage(join(dir, `drizzle-${batch}.db`));
  s.bootstrap({ voters: [1], learners: [] });
  const w = measure(batch, txs, (from, n) => {
    const entries: Entry[] = [];
    for (let i = from; i < from + n; i++) entries.push({ index: i, term: 1, type: "normal", data: payload });
    s.persist({ entries, hardState: { term: 1, vote: 1, commit: from - 1 } });
  });
  const last = batch * txs;
  let read = 0;
  let t0 = 0;
  for (let r = 0; r < 2300; r++) {
    if (r === 300) {
      t0 = performance.now();
      read = 0;
    }
    const lo = 1 + ((r * 64) % Math.max(1, last - 64));
    read += s.entries(lo, lo + 64).length;
  }
  const readPerSec = read / ((performance.now() - t0) / 1000);
  // the same range through a drizzle prepared select (what SqliteStorage used before going raw)
  const p = (n: string) => sql.placeholder(n);
  const q = s.raftDb.db
    .select()
    .from(raftEntries)
    .where(and(gte(raftEntries.idx, p("lo")), lt(raftEntries.idx, p("hi"))))
    .orderBy(asc(raftEntries.idx))
    .prepare();
  let dread = 0;
  let t1 = 0;
  for (let r = 0; r < 2300; r++) {
    if (r === 300) {
      t1 = performance.now();
      dread = 0;
    }
    const lo = 1 + ((r * 64) % Math.max(1, last - 64));
    dread += q.all({ lo, hi: lo + 64 }).length;
  }
  const drizzleReadPerSec = dread / ((performance.now() - t1) / 1000);
  s.close();
  return { w, readPerSec, drizzleReadPerSec };
}

/** persistUnsynced + fsync vs fdatasync of the WAL file, single-entry commits, interleaved. */
function walSync(txs: number): Record<"fsync" | "fdatasync", { mean: number; p50: number; p99: number }> {
  const s = openSqliteStorage(join(dir, "walsync.db"));
  s.bootstrap({ voters: [1], learners: [] });
  let next = s.lastIndex() + 1;
  s.persist({ entries: [{ index: next, term: 1, type: "normal", data: payload }] });
  next++;
  const fd = openSync(join(dir, "walsync.db-wal"), "r");
  const how = { fsync: fsyncSync, fdatasync: fdatasyncSync };
  const lat: Record<keyof typeof how, number[]> = { fsync: [], fdatasync: [] };
  for (let block = 0; block < Math.ceil(txs / 200); block++) {
    for (const k of ["fsync", "fdatasync"] as const) {
      for (let i = 0; i < 200; i++) {
        const a = performance.now();
        s.persistUnsynced({ entries: [{ index: next++, term: 1, type: "normal", data: payload }] });
        how[k](fd);
        lat[k].push(performance.now() - a);
      }
    }
  }
  closeSync(fd);
  s.close();
  const sum = (xs: number[]) => ({
    mean: xs.reduce((x, y) => x + y, 0) / xs.length,
    p50: pct(xs, 50),
    p99: pct(xs, 99),
  });
  return { fsync: sum(lat.fsync), fdatasync: sum(lat.fdatasync) };
}

const f = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${n.toFixed(2)} ms`;
try {
  console.log(`raft storage bench: 1 KiB entries, WAL + synchronous=FULL, ${dir}`);
  console.log(
    "| batch | txs | raw entries/s | raw p50 / p99 | SqliteStorage (drizzle prepared) entries/s | p50 / p99 | drizzle/raw |",
  );
  console.log("|---|---|---|---|---|---|---|");
  const reads: string[] = [];
  for (const batch of [1, 64]) {
    const txs = batch === 1 ? TXS : Math.max(50, Math.floor(TXS / 4));
    const r = raw(batch, txs);
    const d = drizzle(batch, txs);
    console.log(
      `| ${batch} | ${txs} | ${f(r.w.entriesPerSec)} | ${ms(r.w.p50)} / ${ms(r.w.p99)} | ${f(d.w.entriesPerSec)} | ${ms(d.w.p50)} / ${ms(d.w.p99)} | ${(d.w.entriesPerSec / r.w.entriesPerSec).toFixed(2)}× |`,
    );
    reads.push(
      `reads of 64-entry ranges (after batch ${batch}): raw ${f(r.readPerSec)} entries/s; drizzle prepared select ${f(d.drizzleReadPerSec)} (${(d.drizzleReadPerSec / r.readPerSec).toFixed(2)}×); SqliteStorage.entries ${f(d.readPerSec)} (${(d.readPerSec / r.readPerSec).toFixed(2)}×)`,
    );
  }
  for (const l of reads) console.log(l);
  const w = walSync(TXS * 2);
  console.log(
    `leader write (persistUnsynced + sync of the WAL file), ${TXS * 2} single-entry commits each: fdatasync mean ${ms(w.fdatasync.mean)}, p50 ${ms(w.fdatasync.p50)}, p99 ${ms(w.fdatasync.p99)}; fsync mean ${ms(w.fsync.mean)}, p50 ${ms(w.fsync.p50)}, p99 ${ms(w.fsync.p99)}; fdatasync/fsync mean ${(w.fdatasync.mean / w.fsync.mean).toFixed(2)}×, p99 ${(w.fdatasync.p99 / w.fsync.p99).toFixed(2)}×`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
