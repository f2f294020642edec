import { describe, expect, test } from "bun:test";
import type { GuestKey } from "./model.ts";
import {
  compareGuestKeys,
  normalizeContent,
  normalizeName,
  normalizeRRset,
  sameRecords,
} from "./normalize.ts";

describe("normalize", () => {
  test("names", () => {
    expect(normalizeName(" Web.Example.COM ")).toBe("web.example.com.");
    expect(normalizeName("web.example.com.")).toBe("web.example.com.");
  });
  test("contents as PowerDNS stores them", () => {
    expect(normalizeContent("AAAA", "2001:0DB8::0001")).toBe("2001:db8::1");
    expect(normalizeContent("A", " 10.0.0.1 ")).toBe("10.0.0.1");
    expect(normalizeContent("A", "::1")).toBe("::1"); // wrong family: kept as given
    expect(normalizeContent("PTR", "Web.Example.com")).toBe("web.example.com.");
  });
  test("rrsets: sorted, deduplicated records and guests", () => {
    const r = normalizeRRset({
      zone: "Example.com",
      name: "WEB.example.com",
      type: "AAAA",
      ttl: 300,
      records: ["2001:db8::2", "2001:0db8::1", "2001:db8::0:1"],
      guests: ["pve/10", "pve/9", "pve/10"],
    });
    expect(r).toEqual({
      zone: "example.com.",
      name: "web.example.com.",
      type: "AAAA",
      ttl: 300,
      records: ["2001:db8::1", "2001:db8::2"],
      guests: ["pve/9", "pve/10"],
    });
    expect(sameRecords(r, { ...r, records: [...r.records] })).toBe(true);
    expect(sameRecords(r, { ...r, ttl: 60 })).toBe(false);
  });
  test("guest key order: cluster, then numeric vmid; clusters may contain '/'", () => {
    const keys: GuestKey[] = ["b/1", "a/100", "a/20", "a/b/5" as GuestKey];
    expect([...keys].sort(compareGuestKeys)).toEqual<string[]>(["a/20", "a/100", "a/b/5", "b/1"]);
  });
});
