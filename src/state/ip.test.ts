import { describe, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import { canonicalIp, formatIp, inCidr, parseCidr, parseIp, specialRange } from "./ip.ts";

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("ip", () => {
  test("IPv4 canonical and strict", () => {
    expect(canonicalIp(" 10.0.1.5 ")).toBe("10.0.1.5");
    for (const bad of [
      "10.0.1",
      "10.0.1.256",
      "010.0.0.1",
      "1.2.3.4.5",
      "a.b.c.d",
      "",
      "10.0.0.1/24",
      "0x0a.0.0.1",
    ]) {
      expect(canonicalIp(bad)).toBeUndefined();
    }
  });

  test("IPv6 forms", () => {
    expect(canonicalIp("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("::1")).toBe("::1");
    expect(canonicalIp("fe80::1%eth0")).toBe("fe80::1");
    expect(canonicalIp("::ffff:10.0.0.1")).toBe("::ffff:a00:1");
    for (const bad of [
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "::g",
      "1:2:3:4:5:6:7::8",
      "fe80::1%",
      ":1:2:3:4:5:6:7",
    ]) {
      expect(canonicalIp(bad)).toBeUndefined();
    }
  });

  test("agrees with ipaddr.js on 5,000 random addresses in many spellings", () => {
    const rand = prng(42);
    const n = (max: number) => Math.floor(rand() * max);
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) {
        const s = [n(256), n(256), n(256), n(256)].join(".");
        expect(canonicalIp(s)).toBe(ipaddr.IPv4.parse(s).toString());
        continue;
      }
      // groups with many zeros, so compression has runs to choose from
      const g = Array.from({ length: 8 }, () => (rand() < 0.5 ? 0 : n(65536)));
      let text = g.map((x) => (rand() < 0.3 ? x.toString(16).padStart(4, "0") : x.toString(16))).join(":");
      if (rand() < 0.5) text = text.toUpperCase();
      const want = ipaddr.IPv6.parse(text).toRFC5952String();
      expect(canonicalIp(text)).toBe(want);
      expect(canonicalIp(want)).toBe(want); // the canonical form parses back to itself
    }
  });

  test("CIDR matching agrees with ipaddr.js", () => {
    const rand = prng(7);
    const cidrs = [
      "10.0.0.0/8",
      "10.0.7.128/25",
      "0.0.0.0/0",
      "192.168.1.1/32",
      "2001:db8::/32",
      "fd00::/7",
      "::/0",
    ];
    for (const c of cidrs) {
      const mine = parseCidr(c)!;
      const theirs = ipaddr.parseCIDR(c);
      for (let i = 0; i < 300; i++) {
        const n = () => Math.floor(rand() * 256);
        const s =
          mine.family === 4
            ? [rand() < 0.8 ? 10 : n(), rand() < 0.8 ? 0 : n(), rand() < 0.8 ? 7 : n(), n()].join(".")
            : `2001:db8:${Math.floor(rand() * 65536).toString(16)}::${Math.floor(rand() * 65536).toString(16)}`;
        const a = parseIp(s)!;
        const b = ipaddr.parse(s);
        expect(inCidr(a, mine)).toBe(b.kind() === theirs[0].kind() && b.match(theirs));
      }
    }
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("10.0.0.0")).toBeUndefined();
    expect(parseCidr("2001:db8::/129")).toBeUndefined();
    expect(inCidr(parseIp("10.0.0.1")!, parseCidr("::/0")!)).toBe(false);
  });

  test("special ranges", () => {
    const r = (s: string) => specialRange(parseIp(s)!);
    expect(r("127.0.0.1")).toBe("loopback");
    expect(r("0.0.0.0")).toBe("unspecified");
    expect(r("169.254.3.4")).toBe("link-local");
    expect(r("224.0.0.251")).toBe("multicast");
    expect(r("255.255.255.255")).toBe("broadcast");
    expect(r("10.0.0.1")).toBeUndefined();
    expect(r("::1")).toBe("loopback");
    expect(r("::")).toBe("unspecified");
    expect(r("fe80::1")).toBe("link-local");
    expect(r("febf::1")).toBe("link-local");
    expect(r("fec0::1")).toBeUndefined();
    expect(r("ff02::1")).toBe("multicast");
    expect(r("::ffff:10.0.0.1")).toBe("IPv4-mapped IPv6");
    expect(r("2001:db8::1")).toBeUndefined();
    expect(formatIp(parseIp("::2")!)).toBe("::2");
  });
});
