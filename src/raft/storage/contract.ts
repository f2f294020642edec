/**
 * The storage contract: what the Raft core and the node driver rely on. Every LogStorage
 * (MemoryStorage, SqliteStorage) runs it — see contract.test.ts.
 */
import { describe, expect, test } from "bun:test";
import type { ConfState, Entry, LogStorage } from "../core/index.ts";
import { CompactedError, UnavailableError } from "../core/index.ts";

export interface ContractSubject {
  /** a fresh, empty storage bootstrapped with `conf` */
  create(conf: ConfState): LogStorage;
  /** reopen the same storage (a restart); absent for volatile storages */
  reopen?(s: LogStorage): LogStorage;
  cleanup?(s: LogStorage): void;
}

const conf3: ConfState = { voters: [1, 2, 3], learners: [] };

function ent(index: number, term: number, text = `e${index}`, type: Entry["type"] = "normal"): Entry {
  return { index, term, type, data: new TextEncoder().encode(text) };
}

function ents(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(ent(i, term));
  return out;
}

export function storageContract(name: string, subject: ContractSubject): void {
  describe(`storage contract: ${name}`, () => {
    const withStorage = (fn: (s: LogStorage) => LogStorage | undefined) => {
      const s = subject.create(conf3);
      let cur = s;
      try {
        cur = fn(s) ?? s;
      } finally {
        subject.cleanup?.(cur);
      }
    };

    test("a fresh storage is empty with the bootstrap membership", () =>
      withStorage((s) => {
        expect(s.firstIndex()).toBe(1);
        expect(s.lastIndex()).toBe(0);
        expect(s.term(0)).toBe(0);
        expect(s.initialState()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, confState: conf3 });
        expect(() => s.term(1)).toThrow(UnavailableError);
        return undefined;
      }));

    test("persist appends entries and hard state; term and entries read them back", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 5, 1), hardState: { term: 1, vote: 2, commit: 3 } });
        expect(s.lastIndex()).toBe(5);
        expect(s.term(4)).toBe(1);
        expect(s.entries(2, 5).map((e) => e.index)).toEqual([2, 3, 4]);
        expect(s.entries(2, 5)[0]).toEqual(ent(2, 1));
        expect(s.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 3 });
        expect(() => s.entries(2, 7)).toThrow(UnavailableError);
        return undefined;
      }));

    test("maxBytes cuts the batch but always returns at least one entry", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 10, 1) });
        expect(s.entries(1, 11, 1).length).toBe(1);
        const two = s.entries(1, 11, 2 * (24 + 2) + 5);
        expect(two.length).toBe(2);
        expect(s.entries(1, 11).length).toBe(10);
        return undefined;
      }));

    test("a conflicting append replaces the suffix", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 5, 1) });
        s.persist({ entries: [ent(3, 2, "x"), ent(4, 2, "y")] });
        expect(s.lastIndex()).toBe(4);
        expect(s.term(3)).toBe(2);
        expect(s.entries(1, 5).map((e) => `${e.term}/${e.index}`)).toEqual(["1/1", "1/2", "2/3", "2/4"]);
        return undefined;
      }));

    test("an append that leaves a gap is rejected and changes nothing", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 3, 1) });
        expect(() => s.persist({ entries: [ent(6, 1)], hardState: { term: 9, vote: 0, commit: 0 } })).toThrow(
          /missing log entry/,
        );
        expect(s.lastIndex()).toBe(3);
        expect(s.initialState().hardState.term).toBe(0);
        return undefined;
      }));

    test("binary data and conf-change entries round-trip", () =>
      withStorage((s) => {
        const data = new Uint8Array([0, 255, 0, 1, 2]);
        s.persist({ entries: [{ index: 1, term: 1, type: "conf-change", data }] });
        const [e] = s.entries(1, 2);
        expect(e?.type).toBe("conf-change");
        expect([...(e?.data ?? [])]).toEqual([...data]);
        expect(e?.data).toBeInstanceOf(Uint8Array);
        return undefined;
      }));

    test("createSnapshot + compact: earlier entries are compacted, the snapshot keeps membership and data", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 8, 1), hardState: { term: 1, vote: 1, commit: 8 } });
        const conf: ConfState = { voters: [1, 2, 3], learners: [4] };
        s.createSnapshot(5, conf, new TextEncoder().encode("state@5"));
        s.compact(5);
        expect(s.firstIndex()).toBe(6);
        expect(s.lastIndex()).toBe(8);
        expect(s.term(5)).toBe(1);
        expect(() => s.term(4)).toThrow(CompactedError);
        expect(() => s.entries(5, 7)).toThrow(CompactedError);
        expect(s.entries(6, 9).map((e) => e.index)).toEqual([6, 7, 8]);
        const snap = s.snapshot();
        expect(snap.meta).toEqual({ index: 5, term: 1, confState: conf });
        expect(new TextDecoder().decode(snap.data)).toBe("state@5");
        expect(s.initialState().confState).toEqual(conf);
        expect(() => s.createSnapshot(4, conf, new Uint8Array())).toThrow(CompactedError);
        expect(() => s.compact(7)).toThrow(/beyond the snapshot/);
        return undefined;
      }));

    test("installing a received snapshot replaces the log; older snapshots are ignored", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 4, 1) });
        const snap = {
          meta: { index: 10, term: 3, confState: conf3 },
          data: new TextEncoder().encode("s10"),
        };
        s.persist({ snapshot: snap, entries: [], hardState: { term: 3, vote: 0, commit: 10 } });
        expect(s.firstIndex()).toBe(11);
        expect(s.lastIndex()).toBe(10);
        expect(s.term(10)).toBe(3);
        s.persist({ entries: [ent(11, 3)] });
        expect(s.lastIndex()).toBe(11);
        s.persist({ snapshot: { ...snap, meta: { ...snap.meta, index: 7 } }, entries: [] });
        expect(s.firstIndex()).toBe(11);
        expect(s.lastIndex()).toBe(11);
        return undefined;
      }));

    test("entries below the first index in an append are skipped", () =>
      withStorage((s) => {
        s.persist({ entries: ents(1, 6, 1) });
        s.createSnapshot(4, conf3, new Uint8Array());
        s.compact(4);
        s.persist({ entries: ents(2, 7, 1) });
        expect(s.firstIndex()).toBe(5);
        expect(s.lastIndex()).toBe(7);
        return undefined;
      }));

    if (subject.reopen) {
      const reopen = subject.reopen;
      test("everything survives a reopen", () =>
        withStorage((s) => {
          s.persist({ entries: ents(1, 9, 2), hardState: { term: 2, vote: 3, commit: 7 } });
          s.createSnapshot(6, conf3, new TextEncoder().encode("six"));
          s.compact(4);
          const r = reopen(s);
          expect(r.firstIndex()).toBe(5);
          expect(r.lastIndex()).toBe(9);
          expect(r.term(4)).toBe(2);
          expect(r.initialState()).toEqual({ hardState: { term: 2, vote: 3, commit: 7 }, confState: conf3 });
          expect(r.snapshot().meta.index).toBe(6);
          expect(new TextDecoder().decode(r.snapshot().data)).toBe("six");
          expect(r.entries(5, 10).map((e) => e.index)).toEqual([5, 6, 7, 8, 9]);
          return r;
        }));
    }
  });
}
