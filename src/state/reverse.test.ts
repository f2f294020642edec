import { describe, expect, test } from "bun:test";
import { mostSpecificZone, reverseNameOf as reverseName } from "./reverse.ts";

describe("reverseName", () => {
  test("IPv4", () => {
    expect(reverseName("10.0.1.5")).toBe("5.1.0.10.in-addr.arpa.");
    expect(reverseName("192.0.2.255")).toBe("255.2.0.192.in-addr.arpa.");
    expect(reverseName("10.0.1")).toBeUndefined();
  });
  test("IPv6 in nibble format, from any spelling", () => {
    const want = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
    expect(reverseName("2001:db8::1")).toBe(want);
    expect(reverseName("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe(want);
    expect(reverseName("fd00:a:b:c:d:e:f:1234")).toBe(
      "4.3.2.1.f.0.0.0.e.0.0.0.d.0.0.0.c.0.0.0.b.0.0.0.a.0.0.0.0.0.d.f.ip6.arpa.",
    );
  });
});

describe("mostSpecificZone", () => {
  const zones = ["10.in-addr.arpa.", "1.0.10.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.", "example.com."];
  test("the longest containing zone wins", () => {
    expect(mostSpecificZone("5.1.0.10.in-addr.arpa.", zones)).toBe("1.0.10.in-addr.arpa.");
    expect(mostSpecificZone("5.2.0.10.in-addr.arpa.", zones)).toBe("10.in-addr.arpa.");
    expect(mostSpecificZone(reverseName("2001:db8::1") ?? "", zones)).toBe("8.b.d.0.1.0.0.2.ip6.arpa.");
  });
  test("label boundaries matter; none → undefined", () => {
    expect(mostSpecificZone("5.1.0.110.in-addr.arpa.", zones)).toBeUndefined();
    expect(mostSpecificZone("5.1.0.192.in-addr.arpa.", zones)).toBeUndefined();
  });
});
