import { describe, expect, test } from "bun:test";
import { type Claim, foreignNames, resolveClaims } from "./conflicts.ts";
import type { GuestKey } from "./model.ts";
import { shuffle } from "./testdata/shuffle.ts";

function claim(guest: GuestKey, ip: string, fqdn: string): Claim {
  return { guest, ip, family: ip.includes(":") ? 6 : 4, zone: "example.com.", fqdn };
}

describe("resolveClaims", () => {
  test("two guests, one FQDN: the lowest vmid keeps it, the other gets nothing for it", () => {
    const { kept, conflicts } = resolveClaims([
      claim("pve/200", "10.0.0.20", "web.example.com."),
      claim("pve/101", "10.0.0.11", "web.example.com."),
      claim("pve/101", "2001:db8::11", "web.example.com."),
    ]);
    expect(kept.map((c) => c.ip).sort()).toEqual(["10.0.0.11", "2001:db8::11"]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      kind: "fqdn",
      subject: "web.example.com.",
      winner: "pve/101",
      losers: ["pve/200"],
    });
  });

  test("vmid compares numerically, then cluster by name first", () => {
    const a = resolveClaims([claim("pve/1000", "10.0.0.1", "x."), claim("pve/999", "10.0.0.2", "x.")]);
    expect(a.conflicts[0]?.winner).toBe("pve/999");
    const b = resolveClaims([claim("b/1", "10.0.0.1", "x."), claim("a/500", "10.0.0.2", "x.")]);
    expect(b.conflicts[0]?.winner).toBe("a/500");
  });

  test("one IP, two guests: winner keeps the IP; the loser keeps its other addresses", () => {
    const { kept, conflicts } = resolveClaims([
      claim("pve/102", "10.0.0.5", "clone.example.com."),
      claim("pve/102", "10.0.0.6", "clone.example.com."),
      claim("pve/101", "10.0.0.5", "orig.example.com."),
    ]);
    expect(kept.map((c) => `${c.guest} ${c.ip}`).sort()).toEqual(["pve/101 10.0.0.5", "pve/102 10.0.0.6"]);
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "ip", subject: "10.0.0.5", winner: "pve/101", losers: ["pve/102"] }),
    ]);
  });

  test("IP conflicts are resolved before FQDN conflicts", () => {
    // 102 loses its only IP to 100, so it no longer competes for web.
    const { kept, conflicts } = resolveClaims([
      claim("pve/100", "10.0.0.5", "db.example.com."),
      claim("pve/101", "10.0.0.7", "web.example.com."),
      claim("pve/102", "10.0.0.5", "web.example.com."),
    ]);
    expect(kept.map((c) => c.guest).sort()).toEqual(["pve/100", "pve/101"]);
    expect(conflicts.map((c) => c.kind)).toEqual(["ip"]);
  });

  test("deterministic: any input order gives the same result", () => {
    const claims: Claim[] = [];
    for (let v = 100; v < 130; v++) {
      claims.push(claim(`pve${v % 2}/${v}`, `10.0.0.${v % 7}`, `n${v % 5}.example.com.`));
      claims.push(claim(`pve${v % 2}/${v}`, `2001:db8::${v}`, `n${v % 5}.example.com.`));
    }
    const norm = (r: ReturnType<typeof resolveClaims>) => ({
      kept: r.kept.map((c) => `${c.guest} ${c.ip} ${c.fqdn}`).sort(),
      conflicts: r.conflicts,
    });
    const base = norm(resolveClaims(claims));
    expect(base.conflicts.length).toBeGreaterThan(0);
    for (let seed = 1; seed <= 50; seed++) {
      expect(norm(resolveClaims(shuffle(claims, seed)))).toEqual(base);
    }
  });

  test("no conflict → nothing reported, everything kept", () => {
    const claims = [claim("pve/1", "10.0.0.1", "a."), claim("pve/2", "10.0.0.2", "b.")];
    expect(resolveClaims(claims)).toEqual({ kept: claims, conflicts: [] });
  });
});

describe("foreignNames", () => {
  test("names held by rrsets without our owner id", () => {
    const held = foreignNames(
      [
        { zone: "z.", name: "a.z.", type: "A", ttl: 1, records: [], owner: "me" },
        { zone: "z.", name: "b.z.", type: "A", ttl: 1, records: ["10.0.0.1"] },
        { zone: "z.", name: "c.z.", type: "AAAA", ttl: 1, records: ["::1"], owner: "other" },
      ],
      "me",
    );
    expect([...held]).toEqual([
      ["b.z.", ""],
      ["c.z.", "other"],
    ]);
  });
});
