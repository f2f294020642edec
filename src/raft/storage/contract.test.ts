import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStorage } from "../core/index.ts";
import { storageContract } from "./contract.ts";
import type { SqliteStorage } from "./sqlite-storage.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-raft-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storageContract("MemoryStorage", { create: (conf) => new MemoryStorage(conf) });

storageContract("SqliteStorage", {
  create: (conf) => {
    const s = openSqliteStorage(join(dir, `c${++n}.db`));
    s.bootstrap(conf);
    return s;
  },
  reopen: (s) => {
    const path = (s as SqliteStorage).raftDb.path;
    (s as SqliteStorage).close();
    return openSqliteStorage(path);
  },
  cleanup: (s) => (s as SqliteStorage).close(),
});
