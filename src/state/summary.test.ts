import { describe, expect, test } from "bun:test";
import type { Changes, Conflict, RRset } from "./model.ts";
import { formatPlanText, planJson } from "./summary.ts";

const r = (name: string, records: string[], o: Partial<RRset> = {}): RRset => ({
  zone: "example.com.",
  name,
  type: "A",
  ttl: 300,
  records,
  owner: "me",
  ...o,
});
const changes: Changes<RRset> = {
  create: [r("web.example.com.", ["10.0.0.5"], { guests: ["pve/100"] }), r("a.example.com.", ["10.0.0.1"])],
  updateOld: [r("db.example.com.", ["10.0.0.7"])],
  updateNew: [r("db.example.com.", ["10.0.0.8"], { ttl: 600, guests: ["pve/101"] })],
  delete: [r("old.example.com.", ["10.0.0.9"])],
};
const conflict: Conflict = {
  kind: "fqdn",
  subject: "web.example.com.",
  winner: "pve/100",
  losers: ["pve/200"],
  message: "m",
};

describe("plan summary", () => {
  test("text", () => {
    expect(
      formatPlanText(changes, {
        policy: "sync",
        conflicts: [conflict],
        held: [r("kept.example.com.", ["10.0.0.3"])],
      }),
    ).toBe(`DNS plan: 2 to create, 1 to update, 1 to delete (policy sync)
+ a.example.com. A 300 10.0.0.1
+ web.example.com. A 300 10.0.0.5  (pve/100)
~ db.example.com. A 300 10.0.0.7 -> 600 10.0.0.8  (pve/101)
- old.example.com. A 300 10.0.0.9
= kept.example.com. A 300 10.0.0.3  (kept: may not be deleted from this inventory)
! fqdn web.example.com.: m
`);
  });
  test("no changes", () => {
    expect(formatPlanText({ create: [], updateOld: [], updateNew: [], delete: [] })).toBe(
      "DNS plan: no changes\n",
    );
  });
  test("json round-trips and counts", () => {
    const j = JSON.parse(JSON.stringify(planJson(changes, { conflicts: [conflict] })));
    expect(j.summary).toEqual({ create: 2, update: 1, delete: 1, conflicts: 1, held: 0 });
    expect(j.update[0].old.records).toEqual(["10.0.0.7"]);
    expect(j.update[0].new).toMatchObject({ ttl: 600, records: ["10.0.0.8"], guests: ["pve/101"] });
    expect(j.create.map((x: RRset) => x.name)).toEqual(["a.example.com.", "web.example.com."]);
    expect(j.conflicts).toEqual([conflict]);
  });
});
