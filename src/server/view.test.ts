import { describe, expect, test } from "bun:test";
import { demoGuest } from "./demo-status.ts";
import {
  ago,
  duration,
  guestQueryString,
  pageGuests,
  pageLinks,
  parseGuestQuery,
  safeHttpUrl,
  scrubSecrets,
  sortGuests,
} from "./view.ts";

describe("view", () => {
  test("parseGuestQuery falls back to defaults on bad input", () => {
    expect(parseGuestQuery(new URLSearchParams("q=%20web%20&state=failed&page=3"))).toEqual({
      q: "web",
      state: "failed",
      page: 3,
    });
    expect(parseGuestQuery(new URLSearchParams("state=bogus&page=abc"))).toEqual({
      q: "",
      state: "all",
      page: 1,
    });
    expect(parseGuestQuery(new URLSearchParams("page=0")).page).toBe(1);
    expect(parseGuestQuery(new URLSearchParams(`q=${"x".repeat(500)}`)).q).toHaveLength(200);
  });

  test("pageGuests cuts pages and clamps", () => {
    const guests = Array.from({ length: 25 }, (_, i) => demoGuest(i));
    const p = pageGuests(guests, { q: "", state: "all", page: 3 }, 10);
    expect([p.from, p.to, p.pages, p.matched, p.rows.length]).toEqual([21, 25, 3, 25, 5]);
    expect(pageGuests(guests, { q: "", state: "all", page: 9 }, 10).page).toBe(3);
    const empty = pageGuests([], { q: "", state: "all", page: 1 }, 10);
    expect([empty.from, empty.to, empty.pages]).toEqual([0, 0, 1]);
  });

  test("guestQueryString keeps only non-defaults", () => {
    expect(guestQueryString({ q: "", state: "all", page: 1 })).toBe("");
    expect(guestQueryString({ q: "a b&c", state: "failed", page: 2 })).toBe("?q=a+b%26c&state=failed&page=2");
  });

  test("pageLinks: first, last, window, gaps", () => {
    expect(pageLinks(1, 1)).toEqual([1]);
    expect(pageLinks(50, 100)).toEqual([1, 0, 48, 49, 50, 51, 52, 0, 100]);
    expect(pageLinks(2, 5)).toEqual([1, 2, 3, 4, 5]);
  });

  test("formatting", () => {
    expect([ago(10), ago(12_000), ago(300_000), ago(3 * 3600_000), ago(2 * 86400_000)]).toEqual([
      "just now",
      "12s ago",
      "5m ago",
      "3h ago",
      "2d ago",
    ]);
    expect([duration(850), duration(1234), duration(125_000)]).toEqual(["850 ms", "1.2 s", "2m 5s"]);
  });

  test("scrubSecrets masks credentials in free text", () => {
    const cases: [string, string][] = [
      ["Authorization: PVEAPIToken=root@pam!pipam=aaaa-bbbb", "aaaa-bbbb"],
      ["header X-API-Key: abcdef123456", "abcdef123456"],
      ["GET https://nb/api/?token=abc123secret&x=1", "abc123secret"],
      ["Bearer eyJhbGciOi.JIUzI1NiJ9", "eyJhbGciOi.JIUzI1NiJ9"],
      ["Token 0123456789abcdef", "0123456789abcdef"],
      ["https://admin:hunter2@pdns.example/api", "hunter2"],
      ["password=hunter2 rest", "hunter2"],
    ];
    for (const [input, secret] of cases) {
      const out = scrubSecrets(input);
      expect(out).not.toContain(secret);
      expect(out).toContain("[redacted]");
    }
    expect(scrubSecrets("powerdns: 422 bad content")).toBe("powerdns: 422 bad content");
  });

  test("safeHttpUrl only allows absolute http(s)", () => {
    expect(safeHttpUrl("http://10.0.0.1:9180")).toBe("http://10.0.0.1:9180/");
    expect(safeHttpUrl("https://[::1]:9180/x")).toBe("https://[::1]:9180/x");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "//evil", "/relative", "", undefined]) {
      expect(safeHttpUrl(bad)).toBeUndefined();
    }
  });
});

test("guests sort naturally by name, then key; the sorted order is cached per snapshot", () => {
  const mk = (name: string, key: `${string}/${number}`) => ({ ...demoGuest(1), name, key });
  const guests = [mk("web10", "pve/3"), mk("web2", "pve/2"), mk("Web2", "pve/1"), mk("api", "pve/4")];
  const page = pageGuests(guests, { q: "", state: "all", page: 1 });
  expect(page.rows.map((g) => `${g.name} ${g.key}`)).toEqual([
    "api pve/4",
    "Web2 pve/1",
    "web2 pve/2",
    "web10 pve/3",
  ]);
  expect(sortGuests(guests)).toBe(sortGuests(guests));
  expect(guests[0]!.name).toBe("web10"); // the snapshot itself is not reordered
});

test("fresh objects for the same guests reuse the last order; a rename re-sorts", () => {
  const base = Array.from({ length: 30 }, (_, i) => demoGuest(i));
  const a = sortGuests(base.map((g) => ({ ...g })));
  const fresh = base.map((g) => ({ ...g }));
  const b = sortGuests(fresh);
  expect(b.map((g) => g.key)).toEqual(a.map((g) => g.key));
  expect(b.every((g) => fresh.includes(g))).toBe(true); // the new objects, not the old ones
  const renamed = base.map((g, i) => (i === 29 ? { ...g, name: "aaa-first" } : { ...g }));
  expect(sortGuests(renamed)[0]!.name).toBe("aaa-first");
});

test("text filter gives the same answer for fresh and reused snapshots", () => {
  const guests = Array.from({ length: 200 }, (_, i) => demoGuest(i));
  for (const q of [
    "web1",
    "10.0.0.4",
    "FD00::A",
    "pve/10",
    "node2",
    "stopped",
    "virtual-machine db",
    "zzz",
  ]) {
    const once = pageGuests(
      guests.map((g) => ({ ...g })),
      { q: q.toLowerCase(), state: "all", page: 1 },
      500,
    );
    pageGuests(guests, { q: "", state: "all", page: 1 }); // now `guests` has been seen
    const reused = pageGuests(guests, { q: q.toLowerCase(), state: "all", page: 1 }, 500);
    expect(once.rows.map((g) => g.key)).toEqual(reused.rows.map((g) => g.key));
    if (q !== "zzz") expect(reused.matched).toBeGreaterThan(0);
  }
});
