import { expect, test } from "bun:test";
import { demoGuest } from "./demo-status.ts";
import { guestState, memoize } from "./status.ts";

test("memoize recomputes only when a dependency changes identity", () => {
  let calls = 0;
  let a = { v: 1 };
  const b = "x";
  const get = memoize(
    () => {
      calls++;
      return [a.v];
    },
    () => [a, b],
  );
  const first = get();
  expect(get()).toBe(first);
  expect(calls).toBe(1);
  a.v = 2; // same identity: still cached
  expect(get()).toBe(first);
  a = { v: 3 };
  expect(get()).toEqual([3]);
  expect(calls).toBe(2);
});

test("guestState is the worst state of its records, or error when it has none to show", () => {
  const g = demoGuest(1);
  expect(guestState({ ...g, dns: [], netbox: [] })).toBe("in-sync");
  expect(guestState({ ...g, dns: [], netbox: [], error: "timeout" })).toBe("error");
  const rec = (state: "in-sync" | "pending" | "failed" | "conflict") => ({
    name: "a.",
    type: "A",
    records: [],
    state,
  });
  expect(guestState({ ...g, dns: [rec("pending"), rec("failed")], netbox: [] })).toBe("failed");
  expect(guestState({ ...g, dns: [rec("conflict")], netbox: [{ object: "x", state: "pending" }] })).toBe(
    "conflict",
  );
});
