import { describe, expect, test } from "bun:test";
import type { Changes, Policy, RRset } from "./model.ts";
import { applyPolicy, isPolicy } from "./policy.ts";

const r = (name: string, records: string[]): RRset => ({
  zone: "example.com.",
  name,
  type: "A",
  ttl: 300,
  records,
  owner: "me",
});
const changes: Changes<RRset> = {
  create: [r("new.example.com.", ["10.0.0.1"])],
  updateOld: [r("web.example.com.", ["10.0.0.5"])],
  updateNew: [r("web.example.com.", ["10.0.0.6"])],
  delete: [r("old.example.com.", ["10.0.0.9"])],
};
const count = (c: Changes<RRset>) => [
  c.create.length,
  c.updateOld.length,
  c.updateNew.length,
  c.delete.length,
];

describe("applyPolicy", () => {
  const cases: [Policy, number[]][] = [
    ["sync", [1, 1, 1, 1]],
    ["upsert-only", [1, 1, 1, 0]],
    ["create-only", [1, 0, 0, 0]],
  ];
  for (const [policy, want] of cases) {
    test(policy, () => {
      const out = applyPolicy(policy, changes);
      expect(count(out)).toEqual(want);
      if (out.create.length) expect(out.create).toEqual(changes.create);
      if (out.updateNew.length) expect(out.updateNew).toEqual(changes.updateNew);
      expect(count(changes)).toEqual([1, 1, 1, 1]); // input untouched
    });
  }
  test("isPolicy", () => {
    expect(isPolicy("upsert-only")).toBe(true);
    expect(isPolicy("upsert")).toBe(false);
  });
});
