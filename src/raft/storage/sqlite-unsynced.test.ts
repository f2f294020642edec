import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PipamError } from "../../lib/errors.ts";
import type { Entry } from "../core/index.ts";
import { openSqliteStorage, type SqliteStorage } from "./sqlite-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-raft-unsynced-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Polls `cond` every 5 ms until it holds or `ms` have passed; returns whether it held. */
async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await Bun.sleep(5);
  }
  return cond();
}

function ents(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: "normal", data: new TextEncoder().encode(`entry ${i}`) });
  return out;
}

function fresh(name: string): SqliteStorage {
  const s = openSqliteStorage(name === ":memory:" ? name : join(dir, name));
  s.bootstrap({ voters: [1], learners: [] });
  return s;
}

const synchronous = (s: SqliteStorage) =>
  (s.raftDb.sqlite.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous;

const text = (e: Entry) => new TextDecoder().decode(e.data);

describe("SqliteStorage.persistUnsynced", () => {
  test("the entries are readable at once, by another connection, and after a reopen", () => {
    const p = join(dir, "unsynced.db");
    const s = fresh("unsynced.db");
    s.persistUnsynced({ entries: ents(1, 10), hardState: { term: 1, vote: 1, commit: 0 } });
    expect(s.lastIndex()).toBe(10);
    expect(s.entries(1, 11).map(text)).toEqual(ents(1, 10).map(text));
    expect(s.term(10)).toBe(1);
    // a committed transaction: a second connection sees it before the writer closes
    const other = new Database(p, { readonly: true });
    try {
      expect((other.query("SELECT max(idx) AS m FROM raft_entries").get() as { m: number }).m).toBe(10);
    } finally {
      other.close();
    }
    s.close();

    const again = openSqliteStorage(p);
    try {
      expect(again.lastIndex()).toBe(10);
      expect(again.entries(1, 11).map(text)).toEqual(ents(1, 10).map(text));
      expect(again.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    } finally {
      again.close();
    }
  });

  test("the connection is back to synchronous=FULL afterwards, also when the write fails", () => {
    const s = fresh("sync-full.db");
    try {
      expect(synchronous(s)).toBe(2);
      s.persistUnsynced({ entries: ents(1, 3), hardState: { term: 1, vote: 1, commit: 0 } });
      expect(synchronous(s)).toBe(2);
      // a gap: the append is refused inside the transaction
      expect(() => s.persistUnsynced({ entries: ents(5, 6) })).toThrow(PipamError);
      expect(synchronous(s)).toBe(2);
      expect(s.lastIndex()).toBe(3);
    } finally {
      s.close();
    }
  });
});

describe("SqliteStorage.flush", () => {
  test("back-to-back flushes each call back once, without error, in the order issued", async () => {
    const s = fresh("flush-order.db");
    try {
      s.persistUnsynced({ entries: ents(1, 5), hardState: { term: 1, vote: 1, commit: 0 } });
      const calls: { i: number; err: Error | undefined }[] = [];
      for (let i = 0; i < 5; i++) s.flush((err) => calls.push({ i, err }));
      expect(await waitFor(() => calls.length >= 5, 2000)).toBe(true);
      await Bun.sleep(50); // room for a duplicate call to show up
      expect(calls.map((c) => c.i)).toEqual([0, 1, 2, 3, 4]);
      expect(calls.map((c) => c.err)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    } finally {
      s.close();
    }
  });

  test("a flush issued from inside a flush callback completes", async () => {
    const s = fresh("flush-nested.db");
    try {
      s.persistUnsynced({ entries: ents(1, 2) });
      const calls: string[] = [];
      const errors: (Error | undefined)[] = [];
      s.flush((err) => {
        errors.push(err);
        calls.push("outer");
        s.persistUnsynced({ entries: ents(3, 3) });
        s.flush((err2) => {
          errors.push(err2);
          calls.push("inner");
        });
      });
      s.flush((err) => {
        errors.push(err);
        calls.push("second");
      });
      expect(await waitFor(() => calls.length >= 3, 2000)).toBe(true);
      await Bun.sleep(50);
      expect(calls).toEqual(["outer", "second", "inner"]);
      expect(errors).toEqual([undefined, undefined, undefined]);
      expect(s.lastIndex()).toBe(3);
    } finally {
      s.close();
    }
  });

  test("a flush in flight at close() never calls back with an error", async () => {
    const s = fresh("flush-close.db");
    s.persistUnsynced({ entries: ents(1, 5) });
    const results: (Error | undefined)[] = [];
    s.flush((err) => results.push(err));
    s.flush((err) => results.push(err)); // queued behind the first
    s.close();
    await Bun.sleep(200);
    expect(results.length).toBeLessThanOrEqual(2);
    for (const err of results) expect(err).toBeUndefined();
  });

  test("on :memory: storage (no WAL file) flush calls back without error", async () => {
    const s = fresh(":memory:");
    try {
      s.persistUnsynced({ entries: ents(1, 2) });
      const results: (Error | undefined)[] = [];
      s.flush((err) => results.push(err));
      s.flush((err) => results.push(err));
      expect(await waitFor(() => results.length >= 2, 1000)).toBe(true);
      await Bun.sleep(20);
      expect(results).toEqual([undefined, undefined]);
      expect(s.lastIndex()).toBe(2);
    } finally {
      s.close();
    }
  });
});
