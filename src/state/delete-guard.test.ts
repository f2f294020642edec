import { describe, expect, test } from "bun:test";
import { deleteGuard } from "./delete-guard.ts";
import type { CollectError, GuestKey, RRset } from "./model.ts";
import { plan } from "./plan.ts";

const ME = "me";
function rr(name: string, guests?: GuestKey[]): RRset {
  const r: RRset = { zone: "example.com.", name, type: "A", ttl: 300, records: ["10.0.0.1"], owner: ME };
  if (guests) r.guests = guests;
  return r;
}
const inv = (complete: boolean, errors: CollectError[] = []) => ({ complete, errors });

describe("deleteGuard", () => {
  // What pipam applied before (with guests), and what the provider returns now (without guests).
  const previous = [rr("a.example.com.", ["east/100"]), rr("b.example.com.", ["west/200"])];
  const current = previous.map(({ guests: _g, ...r }) => r);
  const unknown = rr("c.example.com."); // owned, but no record of whose it was

  test("complete inventory: deletes allowed", () => {
    const allow = deleteGuard(inv(true), [], previous);
    const res = plan([], [...current, unknown], ME, { allowDelete: allow });
    expect(res.changes.delete.map((r) => r.name)).toEqual([
      "a.example.com.",
      "b.example.com.",
      "c.example.com.",
    ]);
  });

  test("incomplete inventory without a list-level error: nothing is deleted", () => {
    const allow = deleteGuard(inv(false, [{ cluster: "east", vmid: 100, message: "timeout" }]), [], previous);
    const res = plan([], [...current, unknown], ME, { allowDelete: allow });
    expect(res.changes.delete).toEqual([]);
    expect(res.held).toHaveLength(3);
  });

  test("incomplete inventory: guests of a failed cluster are kept, others may go; unknown kept", () => {
    const allow = deleteGuard(inv(false, [{ cluster: "east", message: "connection refused" }]), [], previous);
    const res = plan([], [...current, unknown], ME, { allowDelete: allow });
    expect(res.changes.delete.map((r) => r.name)).toEqual(["b.example.com."]);
    expect(res.held.map((r) => r.name)).toEqual(["a.example.com.", "c.example.com."]);
  });

  test("held guests (status unknown, no name) are never deleted, even from a complete inventory", () => {
    const allow = deleteGuard(inv(true), ["west/200"], previous);
    const res = plan([], current, ME, { allowDelete: allow });
    expect(res.changes.delete.map((r) => r.name)).toEqual(["a.example.com."]);
  });

  test("guests on the rrset itself are used when present", () => {
    const allow = deleteGuard(inv(false, [{ cluster: "east", message: "x" }]), []);
    expect(allow(rr("x.example.com.", ["west/1"]))).toBe(true);
    expect(allow(rr("x.example.com.", ["west/1", "east/2"]))).toBe(false);
  });
});
