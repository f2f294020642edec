import { describe, expect, test } from "bun:test";
import { compileRules, globToRegExp, zoneFor } from "./dns-rules.ts";
import { parseIp } from "./ip.ts";

describe("globToRegExp", () => {
  const cases: [string, string, boolean][] = [
    ["veth*", "veth0a1b", true],
    ["veth*", "eth0", false],
    ["docker0", "docker0", true],
    ["docker0", "docker01", false],
    ["br-*", "br-12ab", true],
    ["eth?", "eth1", true],
    ["eth?", "eth10", false],
    ["a.b", "axb", false],
    ["tun+", "tun+", true],
  ];
  for (const [glob, name, want] of cases) {
    test(`${glob} ${want ? "matches" : "does not match"} ${name}`, () => {
      expect(globToRegExp(glob).test(name)).toBe(want);
    });
  }
});

describe("compileRules", () => {
  test("zones normalised; networks most specific first; ties by zone name", () => {
    const r = compileRules({
      zones: [
        { zone: "B.example.com", networks: ["10.0.0.0/24"] },
        { zone: "a.example.com.", networks: ["10.0.0.0/24", "10.0.0.0/8"] },
      ],
      skipCidrs: [],
      ttl: 1,
      ptr: false,
      reverseZones: ["10.IN-ADDR.ARPA"],
      ignoreInterfaces: [],
      tags: { ignore: "Pipam-Ignore", require: "DNS" },
    });
    expect(r.networks.map((n) => `${n.zone} ${n.text}`)).toEqual([
      "a.example.com. 10.0.0.0/24",
      "b.example.com. 10.0.0.0/24",
      "a.example.com. 10.0.0.0/8",
    ]);
    expect(zoneFor(parseIp("10.0.0.5")!, r)).toBe("a.example.com.");
    expect(zoneFor(parseIp("10.9.0.5")!, r)).toBe("a.example.com.");
    expect(zoneFor(parseIp("11.0.0.5")!, r)).toBeUndefined();
    expect(r.reverseZones).toEqual(["10.in-addr.arpa."]);
    expect([r.ignoreTag, r.requireTag]).toEqual(["pipam-ignore", "dns"]);
    expect(r.errors).toEqual([]);
  });
});
