import { describe, expect, test } from "bun:test";
import { createKeyLocator } from "./locate.ts";

const text = `# comment
collect_interval = 30
skip_cidrs = [
  "10.0.0.0/8",   # first
  "fe80::/10",
]

[proxmox]
url = "https://a:8006"
description = """
[not.a.table]
x = 1
"""
user = 'root'

[[extra]]
name = "one"
[extra.sub]
k = 1
[[extra]]
name = "two"
dotted.key = 3

[mapping."example.com"]
networks = [
  { cidr = "10.0.0.0/16" },
  { cidr = "10.1.0.0/16" },
]
[raft.peers]
1 = "http://a"
"2" = "http://b"
`;

describe("createKeyLocator", () => {
  const loc = createKeyLocator(text);
  test("top-level keys and multi-line array elements", () => {
    expect(loc.lineOf(["collect_interval"])).toBe(2);
    expect(loc.lineOf(["skip_cidrs"])).toBe(3);
    expect(loc.lineOf(["skip_cidrs", 0])).toBe(4);
    expect(loc.lineOf(["skip_cidrs", 1])).toBe(5);
  });
  test("tables, and keys after a multi-line string are not confused by its content", () => {
    expect(loc.lineOf(["proxmox"])).toBe(8);
    expect(loc.lineOf(["proxmox", "url"])).toBe(9);
    expect(loc.lineOf(["proxmox", "user"])).toBe(14);
    expect(loc.lineOf(["not", "a", "table"])).toBeUndefined();
    expect(loc.lineOf(["proxmox", "missing"])).toBe(8);
  });
  test("arrays of tables get indices; sub-tables attach to the last element", () => {
    expect(loc.lineOf(["extra", 0])).toBe(16);
    expect(loc.lineOf(["extra", 0, "name"])).toBe(17);
    expect(loc.lineOf(["extra", 0, "sub", "k"])).toBe(19);
    expect(loc.lineOf(["extra", 1, "name"])).toBe(21);
    expect(loc.lineOf(["extra", 1, "dotted", "key"])).toBe(22);
  });
  test("quoted keys and inline tables inside a multi-line array", () => {
    expect(loc.lineOf(["mapping", "example.com"])).toBe(24);
    expect(loc.lineOf(["mapping", "example.com", "networks", 0, "cidr"])).toBe(26);
    expect(loc.lineOf(["mapping", "example.com", "networks", 1, "cidr"])).toBe(27);
    expect(loc.lineOf(["raft", "peers", "1"])).toBe(30);
    expect(loc.lineOf(["raft", "peers", "2"])).toBe(31);
  });
});
