import { describe, expect, test } from "bun:test";
import { cleanLabel, guestFqdn } from "./dns-names.ts";

describe("guestFqdn", () => {
  const ok: [string, string, string][] = [
    ["web", "example.com.", "web.example.com."],
    ["Web01", "example.com.", "web01.example.com."],
    ["  db  ", "example.com", "db.example.com."],
    // dotted names: inside the zone → as written; outside → first label (hostname -s)
    ["vm2.com", "example.com.", "vm2.example.com."],
    ["db1.prod.internal", "example.com.", "db1.example.com."],
    ["web.example.com", "example.com.", "web.example.com."],
    ["web.example.com.", "example.com.", "web.example.com."],
    ["WEB.Lab.Example.COM", "example.com.", "web.lab.example.com."],
    ["web.notexample.com", "example.com.", "web.example.com."],
    // cleaning
    ["my_vm", "example.com.", "my-vm.example.com."],
    ["my__vm  2", "example.com.", "my-vm-2.example.com."],
    ["-edge-", "example.com.", "edge.example.com."],
    ["café", "example.com.", "caf.example.com."],
    ["123", "example.com.", "123.example.com."],
    [`${"a".repeat(70)}`, "example.com.", `${"a".repeat(63)}.example.com.`],
    [`${"a".repeat(62)}_b`, "example.com.", `${"a".repeat(62)}.example.com.`],
  ];
  for (const [name, zone, want] of ok) {
    test(`${JSON.stringify(name)} in ${zone} → ${want}`, () => {
      expect(guestFqdn(name, zone)).toEqual({ fqdn: want });
    });
  }
  const bad: [string, string, string][] = [
    ["", "example.com.", "no name"],
    ["   ", "example.com.", "no name"],
    ["___", "example.com.", "no valid DNS label"],
    ["ü", "example.com.", "no valid DNS label"],
    ["example.com", "example.com.", "apex"],
    ["a..example.com", "example.com.", "no valid DNS label"],
    [
      `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example.com`,
      "example.com.",
      "longer than 253",
    ],
  ];
  for (const [name, zone, why] of bad) {
    test(`${JSON.stringify(name).slice(0, 30)} rejected (${why})`, () => {
      const r = guestFqdn(name, zone);
      expect(r.fqdn).toBeUndefined();
      expect(r.error).toContain(why);
    });
  }
  test("cleanLabel never yields an invalid label", () => {
    for (const s of ["a-b", "--", "x!y", "A".repeat(100), "é-é", "_a_"]) {
      const l = cleanLabel(s);
      expect(l === "" || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)).toBe(true);
    }
  });
});
