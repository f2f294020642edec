/**
 * A single node's state store kept in a file: the memory store, written to `<dir>/state.json`
 * (atomically: a temp file, then rename) after every non-empty commit, and read back at start.
 * It is what lets a restarted single node remember the addresses of stopped guests that have no
 * static ones (DHCP behind a guest agent): without it they would lose their records until they
 * run again. A cluster keeps the same state in Raft instead.
 *
 * The file is a cache, never the source of truth: the providers are read every cycle. An
 * unreadable file is moved aside (`state.json.corrupt-<time>`) and the node starts from the
 * providers alone; a directory it cannot write is reported once and the state stays in memory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../log/logger.ts";
import { decodeState, emptyState, encodeState, isEmptyDelta, type ReconcileState } from "./delta.ts";
import { createMemoryStore, type StateStore } from "./store.ts";

export interface FileStoreOptions {
  /** false: read the file but never write it (one-shot commands beside a running daemon). */
  write: boolean;
}

function loadStateFile(path: string, logger: Logger, moveAsideIfBad: boolean): ReconcileState {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      logger.warn("cannot read the state file; starting from the providers alone", {
        path,
        error: errorMessage(e),
      });
    }
    return emptyState();
  }
  try {
    const s = decodeState(text);
    logger.info("state loaded", { path, guests: s.guests.size, rrsets: s.dnsOwned.size });
    return s;
  } catch (e) {
    const aside = `${path}.corrupt-${Date.now()}`;
    let moved = false;
    if (moveAsideIfBad) {
      try {
        renameSync(path, aside);
        moved = true;
      } catch {
        // reported below
      }
    }
    logger.error("the state file is not valid; starting from the providers alone", {
      path,
      error: errorMessage(e),
      ...(moved ? { moved_to: aside } : {}),
    });
    return emptyState();
  }
}

export function createFileStore(path: string, logger: Logger, opts: FileStoreOptions): StateStore {
  const mem = createMemoryStore(loadStateFile(path, logger, opts.write));
  let failing = false;
  return {
    state: () => mem.state(),
    canWrite: () => true,
    async commit(delta, signal) {
      await mem.commit(delta, signal);
      if (!opts.write || isEmptyDelta(delta)) return;
      try {
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.tmp`;
        writeFileSync(tmp, encodeState(mem.state()), { mode: 0o640 });
        renameSync(tmp, path);
        if (failing) logger.info("state file written again", { path });
        failing = false;
      } catch (e) {
        if (!failing) {
          logger.warn("cannot write the state file; the state stays in memory until it can", {
            path,
            error: errorMessage(e),
          });
        }
        failing = true;
      }
    },
  };
}
