import { describe, expect, test } from "bun:test";
import type { RRset, RRType } from "./model.ts";
import { type PlanOptions, plan } from "./plan.ts";

const ME = "pipam-test";

function rr(name: string, type: RRType, records: string[], o: Partial<RRset> = {}): RRset {
  const zone = o.zone ?? (type === "PTR" ? "10.in-addr.arpa." : "example.com.");
  return { zone, name, type, ttl: 300, records, ...o };
}
const mine = (r: RRset): RRset => ({ ...r, owner: ME });
const names = (list: RRset[]) =>
  list.map((r) => `${r.zone} ${r.name} ${r.type} ${r.ttl} ${r.records.join(",")}`);

const webA = rr("web.example.com.", "A", ["10.0.0.5"]);
const webA2 = rr("web.example.com.", "A", ["10.0.0.6"]);
const webAAAA = rr("web.example.com.", "AAAA", ["2001:db8::5"]);
const dbA = rr("db.example.com.", "A", ["10.0.0.7"]);
const oldA = rr("old.example.com.", "A", ["10.0.0.9"]);
const ptr5 = rr("5.0.0.10.in-addr.arpa.", "PTR", ["web.example.com."]);

interface Case {
  name: string;
  current: RRset[];
  desired: RRset[];
  opts?: PlanOptions;
  create?: RRset[];
  updateOld?: RRset[];
  updateNew?: RRset[];
  delete?: RRset[];
  conflicts?: string[];
  held?: RRset[];
}

const cases: Case[] = [
  { name: "empty", current: [], desired: [] },
  { name: "create when absent", current: [], desired: [webA, ptr5], create: [ptr5, webA] },
  { name: "unchanged owned: nothing", current: [mine(webA), mine(ptr5)], desired: [webA, ptr5] },
  {
    name: "owned, records differ: update",
    current: [mine(webA)],
    desired: [webA2],
    updateOld: [mine(webA)],
    updateNew: [webA2],
  },
  {
    name: "owned, ttl differs: update",
    current: [mine(webA)],
    desired: [{ ...webA, ttl: 60 }],
    updateOld: [mine(webA)],
    updateNew: [{ ...webA, ttl: 60 }],
  },
  {
    name: "owned, no longer desired: delete",
    current: [mine(webA), mine(oldA)],
    desired: [webA],
    delete: [mine(oldA)],
  },
  {
    name: "compare on normalised values (case, AAAA spelling, order, trailing dot)",
    current: [
      mine(rr("WEB.Example.com.", "AAAA", ["2001:0DB8:0000::0005"], { zone: "Example.COM" })),
      mine(rr("multi.example.com.", "A", ["10.0.0.2", "10.0.0.1"])),
      mine(rr("5.0.0.10.in-addr.arpa.", "PTR", ["Web.Example.com"])),
    ],
    desired: [webAAAA, rr("multi.example.com.", "A", ["10.0.0.1", "10.0.0.2"]), ptr5],
  },
  {
    name: "foreign (no owner) at the name: never touched, conflict",
    current: [webA2],
    desired: [webA, dbA],
    create: [dbA],
    conflicts: ["foreign web.example.com."],
  },
  {
    name: "a PTR pointing at a foreign-held name is not written; a foreign PTR name blocks only the PTR",
    current: [webA2, rr("6.0.0.10.in-addr.arpa.", "PTR", ["db.example.com."])],
    desired: [webA, ptr5, dbA, rr("6.0.0.10.in-addr.arpa.", "PTR", ["web.example.com."])],
    create: [dbA],
    conflicts: ["foreign 6.0.0.10.in-addr.arpa.", "foreign web.example.com."],
  },
  {
    name: "foreign of another type blocks the whole name",
    current: [webA2],
    desired: [webAAAA],
    conflicts: ["foreign web.example.com."],
  },
  {
    name: "other owner id: not updated, not deleted",
    current: [
      { ...webA2, owner: "other-pipam" },
      { ...oldA, owner: "other-pipam" },
    ],
    desired: [webA],
    conflicts: ["foreign web.example.com."],
  },
  {
    name: "foreign record not desired: never deleted",
    current: [oldA, rr("hand.example.com.", "AAAA", ["2001:db8::99"])],
    desired: [],
  },
  {
    name: "our rrset next to a foreign one at the same name is left as it is",
    current: [mine(webA), webAAAA],
    desired: [webA2, webAAAA],
    conflicts: ["foreign web.example.com."],
  },
  {
    name: "zone moved: create in the new zone, delete in the old",
    current: [mine(webA)],
    desired: [{ ...webA, zone: "web.example.com." }],
    create: [{ ...webA, zone: "web.example.com." }],
    delete: [mine(webA)],
  },
  {
    name: "desired without records counts as not desired",
    current: [mine(oldA)],
    desired: [
      { ...oldA, records: [] },
      { ...dbA, records: [] },
    ],
    delete: [mine(oldA)],
  },
  {
    name: "allowDelete refuses: kept and reported as held",
    current: [mine(webA), mine(oldA), mine(dbA)],
    desired: [webA],
    opts: { allowDelete: (r) => r.name !== "old.example.com." },
    delete: [mine(dbA)],
    held: [mine(oldA)],
  },
];

describe("plan", () => {
  for (const c of cases) {
    test(c.name, () => {
      const res = plan(c.desired, c.current, ME, c.opts);
      expect(names(res.changes.create)).toEqual(names(c.create ?? []));
      expect(names(res.changes.updateOld)).toEqual(names(c.updateOld ?? []));
      expect(names(res.changes.updateNew)).toEqual(names(c.updateNew ?? []));
      expect(names(res.changes.delete)).toEqual(names(c.delete ?? []));
      expect(res.conflicts.map((k) => `${k.kind} ${k.subject}`)).toEqual(c.conflicts ?? []);
      expect(names(res.held)).toEqual(names(c.held ?? []));
      for (const r of [...res.changes.create, ...res.changes.updateNew, ...res.changes.delete]) {
        expect(r.owner).toBe(ME);
      }
    });
  }

  test("created and updated rrsets keep their guests; updates pair old and new", () => {
    const d = { ...webA2, guests: ["default/100" as const] };
    const res = plan([d], [mine(webA)], ME);
    expect(res.changes.updateNew[0]?.guests).toEqual(["default/100"]);
    expect(res.changes.updateOld[0]?.records).toEqual(["10.0.0.5"]);
  });

  test("foreign conflict names the losing guests and the holder", () => {
    const d = { ...webA, guests: ["default/100" as const] };
    const [k] = plan([d], [{ ...webA2, owner: "someone" }], ME).conflicts;
    expect(k?.losers).toEqual(["default/100"]);
    expect(k?.message).toContain("someone");
    expect(k?.winner).toBeUndefined();
  });

  test("input order does not matter", () => {
    const current = [mine(webA), mine(oldA), dbA, mine(ptr5)];
    const desired = [webA2, webAAAA, dbA, rr("new.example.com.", "A", ["10.0.0.1"])];
    const a = plan(desired, current, ME);
    const b = plan([...desired].reverse(), [...current].reverse(), ME);
    expect(b).toEqual(a);
  });
});
