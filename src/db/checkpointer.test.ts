import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CheckpointEvent, startCheckpointer } from "./checkpointer.ts";
import { openRaftDb, type RaftDb } from "./open.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-checkpointer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 200;
const BLOB = 4096;

/** Polls `cond` every 10 ms until it holds or `ms` have passed; returns whether it held. */
async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await Bun.sleep(10);
  }
  return cond();
}

function autocheckpoint(r: RaftDb): number {
  return (r.sqlite.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number })
    .wal_autocheckpoint;
}

/** ROWS rows of BLOB bytes, one transaction (autocommit) each: ~640 WAL frames. */
function writeBlobs(r: RaftDb): void {
  r.sqlite.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
  const ins = r.sqlite.prepare("INSERT INTO blobs (b) VALUES (?)");
  for (let i = 0; i < ROWS; i++) ins.run(Buffer.alloc(BLOB, i));
}

function count(r: RaftDb): number {
  return (r.sqlite.query("SELECT count(*) AS n FROM blobs").get() as { n: number }).n;
}

const walFrames = (p: string) => Math.max(0, (statSync(`${p}-wal`).size - 32) / (BLOB + 24));

describe("openRaftDb and the background checkpointer", () => {
  test("with the worker on, the writer keeps SQLite's threshold and the WAL starts over instead of growing", async () => {
    const p = join(dir, "on.db");
    const r = openRaftDb(p, { checkpointEveryMs: 50 });
    try {
      expect(autocheckpoint(r)).toBe(1000);
      expect(r.checkpoints()).toBeDefined();
      r.sqlite.exec("CREATE TABLE w (i INTEGER PRIMARY KEY, d BLOB)");
      const ins = r.sqlite.prepare("INSERT INTO w (d) VALUES (?)");
      // ~3 pages per commit: about 9,000 pages in all, 9× the threshold
      for (let i = 0; i < 3000; i++) {
        ins.run(new Uint8Array(8000));
        if (i % 300 === 0) await Bun.sleep(1); // let the worker's timer run
      }
      // the WAL was reused from its beginning: about 1,000 pages, not 9,000
      expect(statSync(`${p}-wal`).size).toBeLessThan(1300 * 4096);
    } finally {
      r.close();
    }
  });

  test("backgroundCheckpoints: false keeps SQLite's default threshold and starts no worker", () => {
    const r = openRaftDb(join(dir, "off.db"), { backgroundCheckpoints: false });
    try {
      expect(autocheckpoint(r)).toBe(1000);
      expect(r.checkpoints()).toBeUndefined();
    } finally {
      r.close();
    }
  });

  test(":memory: has no worker", () => {
    const r = openRaftDb(":memory:");
    try {
      expect(r.checkpoints()).toBeUndefined();
      expect(autocheckpoint(r)).toBe(1000);
    } finally {
      r.close();
    }
  });

  test("the worker copies the WAL into the database file", async () => {
    const p = join(dir, "copies.db");
    const r = openRaftDb(p, { checkpointEveryMs: 50 });
    try {
      const initial = statSync(p).size;
      writeBlobs(r);
      // the blobs alone are ROWS * BLOB bytes: once they are in the database file, it has grown past that
      const copied = await waitFor(() => {
        const last = r.checkpoints()?.last;
        return last?.type === "checkpoint" && (last.checkpointed ?? 0) > 0 && statSync(p).size > ROWS * BLOB;
      }, 3000);
      const last = r.checkpoints()?.last;
      expect(last?.type).toBe("checkpoint");
      expect(last?.checkpointed).toBeGreaterThan(0);
      expect(last?.busy).toBe(0);
      expect(r.checkpoints()?.errors).toBe(0);
      expect(statSync(p).size).toBeGreaterThan(initial);
      expect(statSync(p).size).toBeGreaterThan(ROWS * BLOB);
      expect(copied).toBe(true);
      expect(count(r)).toBe(ROWS);
    } finally {
      r.close();
    }
  });

  test("without the worker the same writes stay in the WAL (below SQLite's 1000-page threshold)", async () => {
    const p = join(dir, "stays.db");
    const r = openRaftDb(p, { backgroundCheckpoints: false });
    try {
      const initial = statSync(p).size;
      writeBlobs(r);
      const frames = walFrames(p);
      // the premise: the writes fit under the automatic threshold, so nothing but a worker copies them
      expect(frames).toBeGreaterThan(ROWS);
      expect(frames).toBeLessThan(1000);
      await Bun.sleep(300); // several intervals of the previous test's worker
      expect(statSync(p).size).toBe(initial);
      expect(initial).toBeLessThan(ROWS * BLOB);
      expect(count(r)).toBe(ROWS);
    } finally {
      r.close();
    }
  });

  test("close() stops the worker; the database reopens with its rows", async () => {
    const p = join(dir, "close.db");
    const r = openRaftDb(p, { checkpointEveryMs: 20 });
    writeBlobs(r);
    expect(await waitFor(() => r.checkpoints()?.last?.type === "checkpoint", 2000)).toBe(true);
    r.close();
    expect(await waitFor(() => r.checkpoints()?.last?.type === "stopped", 2000)).toBe(true);
    // no checkpoint after "stopped": the interval is cleared
    await Bun.sleep(100);
    expect(r.checkpoints()?.last?.type).toBe("stopped");
    expect(r.checkpoints()?.errors).toBe(0);

    const again = openRaftDb(p, { checkpointEveryMs: 20 });
    try {
      expect(count(again)).toBe(ROWS);
      expect(
        (again.sqlite.query("SELECT b FROM blobs WHERE id = ?").get(ROWS) as { b: Uint8Array }).b,
      ).toEqual(new Uint8Array(Buffer.alloc(BLOB, ROWS - 1)));
    } finally {
      again.close();
    }
  });
});

describe("startCheckpointer", () => {
  test("now() checkpoints at once, without waiting for the interval", async () => {
    const p = join(dir, "now.db");
    const r = openRaftDb(p, { backgroundCheckpoints: false });
    const events: CheckpointEvent[] = [];
    const cp = startCheckpointer(p, { everyMs: 60_000, onEvent: (e) => events.push(e) });
    try {
      expect(await waitFor(() => events.some((e) => e.type === "started"), 2000)).toBe(true);
      writeBlobs(r);
      const initial = statSync(p).size;
      cp.now();
      expect(await waitFor(() => events.some((e) => e.type === "checkpoint"), 2000)).toBe(true);
      const c = events.find((e) => e.type === "checkpoint")!;
      expect(c.log).toBe(walFrames(p));
      expect(c.checkpointed).toBe(c.log);
      expect(statSync(p).size).toBeGreaterThan(Math.max(initial, ROWS * BLOB));
    } finally {
      cp.stop();
      r.close();
    }
    expect(await waitFor(() => events.some((e) => e.type === "stopped"), 2000)).toBe(true);
    expect(events.filter((e) => e.type === "checkpoint")).toHaveLength(1);
  });

  test("a database it cannot open is reported as an error event", async () => {
    const events: CheckpointEvent[] = [];
    const cp = startCheckpointer(join(dir, "no-such-dir", "x.db"), {
      everyMs: 20,
      onEvent: (e) => events.push(e),
    });
    try {
      expect(await waitFor(() => events.some((e) => e.type === "error"), 2000)).toBe(true);
      const err = events.find((e) => e.type === "error")!;
      expect(err.error).toBeString();
      expect(err.error!.length).toBeGreaterThan(0);
      expect(events.some((e) => e.type === "started")).toBe(false);
    } finally {
      cp.stop();
    }
    expect(await waitFor(() => events.some((e) => e.type === "stopped"), 2000)).toBe(true);
    expect(events.some((e) => e.type === "checkpoint")).toBe(false);
  });

  test("openRaftDb reports a failing worker once through onCheckpointTrouble", async () => {
    const p = join(dir, "trouble.db");
    const told: string[] = [];
    const r = openRaftDb(p, { checkpointEveryMs: 20, onCheckpointTrouble: (m) => told.push(m) });
    // the worker opens the file by name once it has started: move it away before that
    renameSync(p, `${p}.moved`);
    try {
      expect(await waitFor(() => told.length > 0, 2000)).toBe(true);
      expect(told[0]).toContain(`raft database ${p}: background WAL checkpoint failed`);
      await Bun.sleep(100);
      expect(told).toHaveLength(1);
      expect(r.checkpoints()!.errors).toBeGreaterThan(0);
    } finally {
      r.close();
    }
  });
});
