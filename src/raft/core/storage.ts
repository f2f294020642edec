import type { ConfState, Entry, HardState, Snapshot } from "./types.ts";
import { CompactedError, RaftError, UnavailableError } from "./types.ts";

/** What the core reads. Errors: CompactedError below firstIndex, UnavailableError beyond lastIndex. */
export interface Storage {
  /** hard state and the membership as of the snapshot (or bootstrap) */
  initialState(): { hardState: HardState; confState: ConfState };
  /** entries [lo, hi), at least one if any, cut after the entry that crosses maxBytes */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** term of entry i; i may be the snapshot index */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** What the application writes (synchronously and durably) before sending a Ready's messages. */
export interface PersistBatch {
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
}

/** Storage the application can write: what MemoryStorage and the SQLite storage implement. */
export interface LogStorage extends Storage {
  /** snapshot first (replaces the log), then entries (truncating any suffix from entries[0].index), then hard state; atomic */
  persist(batch: PersistBatch): void;
  /** record a snapshot of the applied state at `index` (≤ lastIndex, ≥ current snapshot) */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  /** drop entries before `index` (which must be ≤ the snapshot index) */
  compact(index: number): void;
  /**
   * Like persist, but returns without waiting for the disk (a crash may lose this write, never
   * corrupt the log); `flush` makes it durable. For a leader's appends (asyncLocalAppend).
   */
  persistUnsynced?(batch: PersistBatch): void;
  /** Calls `done` once everything written so far is durable (with the error if it cannot be). */
  flush?(done: (err?: Error) => void): void;
}

export function entrySize(e: Entry): number {
  return e.data.byteLength + 24;
}

/** Cuts `ents` after the first entry whose cumulative size crosses maxBytes (always keeps one). */
export function limitSize(ents: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

function copyConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

/**
 * In-memory storage (etcd's MemoryStorage): ents[0] is a dummy entry at the snapshot index.
 * Used by tests and the simulator; a new MemoryStorage may be bootstrapped with a membership.
 */
export class MemoryStorage implements LogStorage {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot;
  private ents: Entry[];

  constructor(bootstrap?: ConfState) {
    this.snap = {
      meta: { index: 0, term: 0, confState: copyConf(bootstrap ?? { voters: [], learners: [] }) },
      data: new Uint8Array(0),
    };
    this.ents = [{ index: 0, term: 0, type: "normal", data: new Uint8Array(0) }];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hard }, confState: copyConf(this.snap.meta.confState) };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new CompactedError(i);
    if (i - off >= this.ents.length) throw new UnavailableError(i);
    return this.ents[i - off]!.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (lo > hi) throw new RaftError("invalid", `entries: lo ${lo} > hi ${hi}`);
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  persistUnsynced(b: PersistBatch): void {
    this.persist(b);
  }

  flush(done: (err?: Error) => void): void {
    queueMicrotask(() => done());
  }

  persist(b: PersistBatch): void {
    if (b.snapshot) this.applySnapshot(b.snapshot);
    if (b.entries.length > 0) this.append(b.entries);
    if (b.hardState) this.hard = { ...b.hardState };
  }

  private applySnapshot(s: Snapshot): void {
    if (s.meta.index <= this.snap.meta.index) return;
    this.snap = { meta: { ...s.meta, confState: copyConf(s.meta.confState) }, data: s.data };
    this.ents = [{ index: s.meta.index, term: s.meta.term, type: "normal", data: new Uint8Array(0) }];
  }

  private append(entries: Entry[]): void {
    const first = this.firstIndex();
    let ents = entries;
    const last = ents[ents.length - 1]!.index;
    if (last < first) return;
    if (first > ents[0]!.index) ents = ents.slice(first - ents[0]!.index);
    const off = ents[0]!.index - this.offset();
    if (off > this.ents.length) {
      throw new RaftError(
        "invalid",
        `append: missing log entry [last ${this.lastIndex()}, append at ${ents[0]!.index}]`,
      );
    }
    this.ents = this.ents.slice(0, off).concat(ents.map((e) => ({ ...e })));
  }

  /**
   * Loses every entry after `index` (and a commit index beyond it): what a crash does to writes
   * that were never fsynced. For the simulator; never below the snapshot.
   */
  dropAfter(index: number): void {
    const keep = Math.max(index, this.offset());
    if (keep >= this.lastIndex()) return;
    this.ents = this.ents.slice(0, keep - this.offset() + 1);
    if (this.hard.commit > keep) this.hard = { ...this.hard, commit: keep };
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) throw new CompactedError(index);
    if (index > this.lastIndex()) throw new UnavailableError(index);
    this.snap = { meta: { index, term: this.term(index), confState: copyConf(confState) }, data };
    return this.snap;
  }

  compact(index: number): void {
    const off = this.offset();
    if (index <= off) return;
    if (index > this.snap.meta.index) {
      throw new RaftError("invalid", `compact ${index} is beyond the snapshot at ${this.snap.meta.index}`);
    }
    const i = index - off;
    const dummy = this.ents[i]!;
    const head: Entry = { index: dummy.index, term: dummy.term, type: "normal", data: new Uint8Array(0) };
    this.ents = [head, ...this.ents.slice(i + 1)];
  }
}
