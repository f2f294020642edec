import { describe, expect, test } from "bun:test";
import type { Changes, RRset } from "./model.ts";
import { filterOwned, isOwned } from "./ownership.ts";

const r = (name: string, owner?: string): RRset => {
  const x: RRset = { zone: "example.com.", name, type: "A", ttl: 300, records: ["10.0.0.1"] };
  if (owner !== undefined) x.owner = owner;
  return x;
};

describe("filterOwned", () => {
  test("updates and deletes of rrsets not owned are dropped; creates pass, marked", () => {
    const c: Changes<RRset> = {
      create: [r("new.example.com.")],
      updateOld: [r("a.example.com.", "me"), r("b.example.com."), r("c.example.com.", "other")],
      updateNew: [r("a.example.com."), r("b.example.com."), r("c.example.com.")],
      delete: [r("d.example.com.", "me"), r("hand.example.com."), r("e.example.com.", "other")],
    };
    const out = filterOwned(c, "me");
    expect(out.create.map((x) => [x.name, x.owner])).toEqual([["new.example.com.", "me"]]);
    expect(out.updateOld.map((x) => x.name)).toEqual(["a.example.com."]);
    expect(out.updateNew.map((x) => [x.name, x.owner])).toEqual([["a.example.com.", "me"]]);
    expect(out.delete.map((x) => x.name)).toEqual(["d.example.com."]);
  });
  test("isOwned", () => {
    expect(isOwned(r("x", "me"), "me")).toBe(true);
    expect(isOwned(r("x"), "me")).toBe(false);
    expect(isOwned(r("x", "me2"), "me")).toBe(false);
  });
});
