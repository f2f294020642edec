import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PipamError } from "../../lib/errors.ts";
import { createRawNode } from "../core/index.ts";
import { payload } from "./crash-child.ts";
import { raftDbSelfTest } from "./self-test.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-raft-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repo = resolve(import.meta.dir, "../../..");

function expectStorageError(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PipamError);
  expect((err as PipamError).code).toBe("storage");
  expect((err as PipamError).message).toMatch(re);
}

function filled(path: string, n: number): void {
  const s = openSqliteStorage(path);
  s.bootstrap({ voters: [1], learners: [] });
  for (let i = 1; i <= n; i += 50) {
    const entries = [];
    for (let j = i; j < i + 50; j++)
      entries.push({ index: j, term: 1, type: "normal" as const, data: payload(j, 1) });
    s.persist({ entries, hardState: { term: 1, vote: 1, commit: i } });
  }
  s.close(); // (writes the last commit index)
  // everything into the database file, the WAL emptied
  const db = new Database(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

describe("opening the raft database", () => {
  test("a garbage file is refused with a storage error, and left in place", () => {
    const p = join(dir, "garbage.db");
    writeFileSync(p, Buffer.alloc(8192, "not a database at all "));
    expectStorageError(() => openSqliteStorage(p), /garbage\.db is unreadable or corrupt.*refusing to start/);
    expect(readFileSync(p).subarray(0, 10).toString()).toBe("not a data");
  });

  test("an empty (truncated to 0) file is refused instead of starting empty", () => {
    const p = join(dir, "zero.db");
    writeFileSync(p, "");
    expectStorageError(() => openSqliteStorage(p), /exists but is empty/);
  });

  test("a database truncated in the middle is refused", () => {
    const p = join(dir, "half.db");
    filled(p, 1000);
    expect(existsSync(`${p}-wal`) ? readFileSync(`${p}-wal`).byteLength : 0).toBe(0);
    const size = readFileSync(p).byteLength;
    truncateSync(p, Math.floor(size / 2));
    expectStorageError(() => openSqliteStorage(p), /corrupt|malformed|missing|incomplete|holes/);
  });

  test("WAL and synchronous=FULL are on; the hard state and log survive a reopen", () => {
    const p = join(dir, "ok.db");
    filled(p, 200);
    const s = openSqliteStorage(p);
    expect(
      (s.raftDb.sqlite.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
    ).toBe("wal");
    expect((s.raftDb.sqlite.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous).toBe(
      2,
    );
    expect(s.lastIndex()).toBe(200);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 151 });
    // The commit index alone is not written: the database keeps the old one until term or vote
    // change (or a snapshot, or close), and a crash in between loses only that.
    const onDisk = () =>
      s.raftDb.sqlite.query("SELECT term, commit_index AS c FROM raft_hard_state WHERE id = 1").get() as {
        term: number;
        c: number;
      };
    s.persist({ entries: [], hardState: { term: 1, vote: 1, commit: 180 } });
    expect(s.initialState().hardState.commit).toBe(180);
    expect(onDisk().c).toBe(151);
    s.persist({
      entries: [{ index: 201, term: 1, type: "normal", data: new Uint8Array([1]) }],
      hardState: { term: 1, vote: 1, commit: 190 },
    });
    expect(s.lastIndex()).toBe(201);
    expect(onDisk().c).toBe(151);
    // a new term is written at once, with the commit index it carries
    s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 195 } });
    expect(onDisk()).toEqual({ term: 2, c: 195 });
    s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 200 } });
    expect(onDisk().c).toBe(195);
    s.close();
    const r = openSqliteStorage(p);
    expect(r.initialState().hardState).toEqual({ term: 2, vote: 0, commit: 200 });
    r.close();
  });

  test("bootstrap only once; metadata round-trips", () => {
    const p = join(dir, "boot.db");
    const s = openSqliteStorage(p);
    expect(s.isEmpty()).toBe(true);
    s.bootstrap({ voters: [1, 2, 3], learners: [] });
    expect(s.isEmpty()).toBe(false);
    expectStorageError(() => s.bootstrap({ voters: [9], learners: [] }), /already initialised/);
    s.setMeta("cluster-id", "abc");
    s.setMeta("cluster-id", "def");
    s.close();
    const r = openSqliteStorage(p);
    expect(r.getMeta("cluster-id")).toBe("def");
    expect(r.getMeta("nope")).toBeUndefined();
    expect(r.initialState().confState).toEqual({ voters: [1, 2, 3], learners: [] });
    r.close();
  });

  test("raftDbSelfTest runs the migrations on a new file", async () => {
    const line = await raftDbSelfTest(join(dir, "self.db"));
    expect(line).toMatch(
      /^raft db self-test ok: 1 migration\(s\) .*journal_mode=wal, synchronous=2, entries=3$/,
    );
    await expect(raftDbSelfTest(join(dir, "self.db"))).rejects.toThrow(/already exists/);
  });
});

describe("a RawNode on SQLite", () => {
  test("restarts with its term, vote, commit and log", () => {
    const p = join(dir, "node.db");
    const s = openSqliteStorage(p);
    s.bootstrap({ voters: [1], learners: [] });
    const rn = createRawNode({ id: 1, storage: s, rand: () => 0.5 });
    rn.campaign();
    const applied: string[] = [];
    const drain = () => {
      while (rn.hasReady()) {
        const rd = rn.ready();
        s.persist({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
        for (const e of rd.committedEntries) applied.push(new TextDecoder().decode(e.data));
        rn.advance(rd);
      }
    };
    drain();
    for (const x of ["a", "b", "c"]) {
      const r = rn.propose(new TextEncoder().encode(x));
      expect(r.ok).toBe(true);
      drain();
    }
    expect(applied).toEqual(["", "a", "b", "c"]);
    s.close();
    const s2 = openSqliteStorage(p);
    const rn2 = createRawNode({ id: 1, storage: s2, rand: () => 0.5 });
    const st = rn2.status();
    expect([st.term, st.vote, st.commit, st.lastIndex]).toEqual([1, 1, 4, 4]);
    const rd = rn2.ready();
    expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(["", "a", "b", "c"]);
    s2.close();
  });
});

describe("kill -9 during heavy appends", () => {
  test("reopening gives a consistent prefix and the last acknowledged hard state", async () => {
    const p = join(dir, "crash.db");
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "crash-child.ts"), p], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = child.stdout.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let lines = 0;
    let lastAck: [number, number, number] = [0, 0, 0];
    const deadline = Date.now() + 30_000;
    while (lines < 300 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value);
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      for (const l of parts) {
        const [, a, b, c] = l.split(" ").map(Number);
        lastAck = [a!, b!, c!];
        lines++;
      }
    }
    child.kill("SIGKILL");
    await child.exited;
    expect(child.signalCode).toBe("SIGKILL");
    expect(lines).toBeGreaterThanOrEqual(300);

    const s = openSqliteStorage(p);
    const hs = s.initialState().hardState;
    const last = s.lastIndex();
    // everything acknowledged before the kill is there (the child may have written more)
    expect(hs.term).toBeGreaterThanOrEqual(lastAck[1]);
    expect(last).toBeGreaterThanOrEqual(hs.commit);
    if (hs.term === lastAck[1]) expect(last).toBeGreaterThanOrEqual(lastAck[0]);
    // a consistent prefix: contiguous, non-decreasing terms, intact payloads
    let prevTerm = 0;
    for (let lo = s.firstIndex(); lo <= last; lo += 500) {
      const ents = s.entries(lo, Math.min(last + 1, lo + 500));
      for (const e of ents) {
        expect(e.term).toBeGreaterThanOrEqual(prevTerm);
        prevTerm = e.term;
        expect(Buffer.from(e.data).equals(Buffer.from(payload(e.index, e.term)))).toBe(true);
      }
    }
    expect(prevTerm).toBe(hs.term);
    s.close();
  }, 60_000);
});

describe("the compiled binary", () => {
  test("runs the embedded migrations against an empty database", async () => {
    const out = join(dir, "selftest-bin");
    const build = Bun.spawnSync(
      [
        process.execPath,
        "build",
        "--compile",
        "--asset",
        "./src/db/drizzle",
        "src/raft/storage/self-test-main.ts",
        "--outfile",
        out,
      ],
      { cwd: repo, stdout: "pipe", stderr: "pipe" },
    );
    expect(build.stderr.toString()).not.toMatch(/error/i);
    expect(build.exitCode).toBe(0);
    const db = join(dir, "compiled.db");
    const run = Bun.spawnSync([out, db], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(run.stdout.toString()).toMatch(
      /^raft db self-test ok: 1 migration\(s\) from \/\$bunfs\/root\/drizzle, journal_mode=wal/,
    );
    rmSync(out, { force: true });
  }, 120_000);
});

describe("the simulator on SQLite storage", () => {
  // in-memory SQLite (the storage object survives a simulated crash; only the RawNode is lost)
  test("a few seeds with faults, crashes and compaction pass the invariants", async () => {
    const { runSim } = await import("../sim/sim.ts");
    const opened: { close(): void }[] = [];
    let compactions = 0;
    let crashes = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = runSim({
        seed,
        nodes: seed % 2 === 0 ? 5 : 3,
        steps: 300,
        storage: (_id, conf) => {
          const s = openSqliteStorage(":memory:");
          opened.push(s);
          if (conf) s.bootstrap(conf);
          return s;
        },
      });
      expect(`seed ${seed}: ${r.violation ?? "ok"}`).toBe(`seed ${seed}: ok`);
      compactions += r.stats.compactions;
      crashes += r.stats.crashes;
    }
    expect(compactions).toBeGreaterThan(0);
    expect(crashes).toBeGreaterThan(0);
    for (const s of opened) s.close();
  }, 60_000);
});

describe("term lookups", () => {
  test("agree with the database across appends, conflicts, compaction, a snapshot and a reopen", () => {
    const path = join(dir, "terms.sqlite");
    const s = openSqliteStorage(path);
    s.bootstrap({ voters: [1], learners: [] });
    // What the log holds, kept beside it: index → term.
    const model = new Map<number, number>([[0, 0]]);
    const append = (from: number, n: number, term: number) => {
      const entries = [];
      for (let i = from; i < from + n; i++)
        entries.push({ index: i, term, type: "normal" as const, data: payload(i, term) });
      s.persist({ entries });
      for (const k of [...model.keys()]) if (k >= from) model.delete(k);
      for (const e of entries) model.set(e.index, e.term);
    };
    const check = (st: typeof s) => {
      for (const [i, t] of model) if (i >= st.firstIndex() - 1) expect(st.term(i)).toBe(t);
      const direct = st.raftDb.sqlite.query("SELECT idx, term FROM raft_entries").all() as {
        idx: number;
        term: number;
      }[];
      for (const r of direct) expect(st.term(r.idx)).toBe(r.term);
    };
    // More entries than the in-memory window (8,192) so lookups fall back to the database too.
    for (let i = 1; i <= 10_000; i += 500) append(i, 500, 1);
    check(s);
    append(9_990, 5, 2); // conflict: replaces 9,990.. with term 2
    expect(s.lastIndex()).toBe(9_994);
    check(s);
    append(9_995, 10, 3);
    check(s);
    s.createSnapshot(9_000, { voters: [1], learners: [] }, new Uint8Array([1]));
    s.compact(8_000);
    for (const k of [...model.keys()]) if (k < 8_000) model.delete(k);
    check(s);
    s.persist({
      snapshot: {
        meta: { index: 20_000, term: 7, confState: { voters: [1], learners: [] } },
        data: new Uint8Array([2]),
      },
      entries: [],
    });
    model.clear();
    model.set(20_000, 7);
    append(20_001, 3, 7);
    check(s);
    s.close();
    const r = openSqliteStorage(path);
    check(r);
    r.close();
  });
});
