import { afterAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../log/logger.ts";
import type { Guest } from "../state/model.ts";
import { emptyDelta } from "./delta.ts";
import { createFileStore } from "./file-store.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-file-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const signal = new AbortController().signal;

function logs() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ format: "json", level: "debug", write: (l) => lines.push(JSON.parse(l)) });
  return { logger, lines };
}

const guest = (vmid: number, ip: string): Guest => ({
  cluster: "default",
  node: "pve1",
  vmid,
  type: "qemu",
  name: `g-${vmid}`,
  status: "running",
  template: false,
  tags: [],
  nics: [
    { name: "ens18", mac: "bc:24:11:00:00:01", addresses: [{ ip, family: 4, prefix: 24, source: "agent" }] },
  ],
});

describe("the single node's state file", () => {
  test("commits are written and a new store reads them back; empty deltas write nothing", async () => {
    const path = join(dir, "a", "state.json");
    const { logger } = logs();
    const s = createFileStore(path, logger, { write: true });
    await s.commit(emptyDelta(), signal);
    expect(existsSync(path)).toBe(false);
    await s.commit({ ...emptyDelta(), guestsPut: [guest(100, "10.0.0.5"), guest(101, "10.0.0.6")] }, signal);
    await s.commit({ ...emptyDelta(), guestsDel: ["default/101"] }, signal);
    const { logger: l2, lines } = logs();
    const r = createFileStore(path, l2, { write: true });
    expect([...r.state().guests.keys()]).toEqual(["default/100"]);
    expect(r.state().guests.get("default/100")?.nics[0]?.addresses[0]?.ip).toBe("10.0.0.5");
    expect(lines.find((l) => l.msg === "state loaded")).toMatchObject({ guests: 1 });
    expect(readdirSync(join(dir, "a"))).toEqual(["state.json"]); // no temp file left behind
  });

  test("a corrupt file is moved aside with an error; the store starts empty and writes a new one", async () => {
    const path = join(dir, "b", "state.json");
    mkdirSync(join(dir, "b"));
    writeFileSync(path, '{"guests": [ truncated');
    const { logger, lines } = logs();
    const s = createFileStore(path, logger, { write: true });
    expect(s.state().guests.size).toBe(0);
    const err = lines.find((l) => l.level === "error");
    expect(err?.msg).toMatch(/state file is not valid/);
    expect(String(err?.moved_to)).toMatch(/state\.json\.corrupt-\d+$/);
    expect(readFileSync(String(err?.moved_to), "utf8")).toBe('{"guests": [ truncated');
    await s.commit({ ...emptyDelta(), guestsPut: [guest(7, "10.0.0.7")] }, signal);
    expect(JSON.parse(readFileSync(path, "utf8")).guests).toHaveLength(1);
  });

  test("read-only (one-shot commands): reads, never writes, never moves a bad file", async () => {
    const path = join(dir, "c", "state.json");
    const { logger } = logs();
    await createFileStore(path, logger, { write: true }).commit(
      { ...emptyDelta(), guestsPut: [guest(1, "10.0.0.1")] },
      signal,
    );
    const before = readFileSync(path, "utf8");
    const ro = createFileStore(path, logger, { write: false });
    expect(ro.state().guests.size).toBe(1);
    await ro.commit({ ...emptyDelta(), guestsPut: [guest(2, "10.0.0.2")] }, signal);
    expect(ro.state().guests.size).toBe(2); // in memory
    expect(readFileSync(path, "utf8")).toBe(before);
    writeFileSync(path, "not json");
    createFileStore(path, logger, { write: false });
    expect(readFileSync(path, "utf8")).toBe("not json");
  });

  test("a place it cannot write: one warning, the state stays in memory, and it recovers", async () => {
    // a file where the directory should be: fails even for root
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "");
    const path = join(blocker, "state.json");
    const { logger, lines } = logs();
    const s = createFileStore(path, logger, { write: true });
    await s.commit({ ...emptyDelta(), guestsPut: [guest(1, "10.0.0.1")] }, signal);
    await s.commit({ ...emptyDelta(), guestsPut: [guest(2, "10.0.0.2")] }, signal);
    expect(s.state().guests.size).toBe(2);
    expect(lines.filter((l) => l.level === "warning" && /cannot write/.test(String(l.msg)))).toHaveLength(1);
    rmSync(blocker);
    await s.commit({ ...emptyDelta(), guestsPut: [guest(3, "10.0.0.3")] }, signal);
    expect(JSON.parse(readFileSync(path, "utf8")).guests).toHaveLength(3);
    expect(lines.some((l) => l.msg === "state file written again")).toBe(true);
  });
});
