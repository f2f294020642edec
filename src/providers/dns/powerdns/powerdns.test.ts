/**
 * The PowerDNS provider against a real pdns_server (gsqlite3) started by scripts/pdns.sh.
 * Results are checked with dig against the server, not only through the API.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { isTransient, PipamError } from "../../../lib/errors.ts";
import { silentLogger } from "../../../log/logger.ts";
import { type Changes, emptyChanges, type RRset } from "../../../state/model.ts";
import { startPdns, type TestPdns } from "../../../testing/pdns.ts";
import { runDnsProviderContract } from "../contract.case.ts";
import { createPowerDnsProvider, OWNER_COMMENT, type PowerDnsOptions } from "./index.ts";

let pdns: TestPdns;
let zoneNo = 0;
/** Every request any provider in this file sent, by method and status. */
const sent: { method: string; status: number }[] = [];
const countingFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const method = init?.method ?? "GET";
  try {
    const res = await fetch(input, init);
    sent.push({ method, status: res.status });
    return res;
  } catch (err) {
    sent.push({ method, status: 0 });
    throw err;
  }
}) as typeof fetch;
const writes = () => sent.filter((s) => s.method !== "GET").length;

beforeAll(async () => {
  pdns = await startPdns();
}, 30_000);
afterAll(async () => {
  await pdns?.stop();
}, 30_000);
setDefaultTimeout(30_000);

const sig = () => AbortSignal.timeout(60_000);
const changes = (c: Partial<Changes<RRset>>): Changes<RRset> => ({ ...emptyChanges<RRset>(), ...c });
const a = (zone: string, host: string, ...ips: string[]): RRset => ({
  zone,
  name: `${host}.${zone}`,
  type: "A",
  ttl: 300,
  records: ips,
});

function provider(zones: string[], more: Partial<PowerDnsOptions> = {}) {
  return createPowerDnsProvider({
    url: pdns.url,
    apiKey: pdns.apiKey,
    ownerId: "pipam-test",
    zones,
    reverseZones: [],
    logger: silentLogger,
    fetch: countingFetch,
    retryBaseMs: 20,
    ...more,
  });
}

/** Fresh zones for one test: a forward zone, a reverse zone, and an unmanaged one. */
async function freshZones() {
  const n = ++zoneNo;
  const zone = `z${n}.pdns.test.`;
  const reverseZone = `${n}.0.10.in-addr.arpa.`;
  const unmanagedZone = `u${n}.pdns.test.`;
  for (const z of [zone, reverseZone, unmanagedZone]) await pdns.createZone(z);
  return { zone, reverseZone, unmanagedZone };
}

describe("PowerDNS provider (real pdns_server)", () => {
  runDnsProviderContract(async () => {
    const z = await freshZones();
    const make = (ownerId: string) =>
      provider([z.zone], { ownerId, reverseZones: [z.reverseZone], url: `${pdns.url}/api/v1/` });
    return {
      ...z,
      provider: make("pipam-test"),
      ownerId: "pipam-test",
      seedForeign: (rr) =>
        pdns.seed(rr.zone, {
          name: rr.name,
          type: rr.type,
          ttl: rr.ttl,
          records: rr.records,
          comments: rr.owner ? [{ content: OWNER_COMMENT, account: rr.owner }] : undefined,
        }),
      writes,
      reopen: make,
    };
  });

  test("create/update/delete are served by DNS (dig), one PATCH and one serial bump per zone", async () => {
    const { zone, reverseZone } = await freshZones();
    const p = provider([zone], { reverseZones: [reverseZone] });
    await p.records(sig());
    const serial0 = await pdns.serial(zone);
    const rserial0 = await pdns.serial(reverseZone);
    const res = await p.apply(
      changes({
        create: [
          a(zone, "web1", "10.0.0.11"),
          { zone, name: `web1.${zone}`, type: "AAAA", ttl: 300, records: ["2001:0DB8:0000::0011"] },
          a(zone, "web2", "10.0.0.12", "10.0.0.13"),
          { zone: reverseZone, name: `11.${reverseZone}`, type: "PTR", ttl: 300, records: [`web1.${zone}`] },
        ],
      }),
      sig(),
    );
    expect(res).toEqual({ applied: 4, failed: [], writes: 2 });
    expect(await pdns.serial(zone)).toBe(serial0 + 1);
    expect(await pdns.serial(reverseZone)).toBe(rserial0 + 1);
    expect(await pdns.dig(`web1.${zone}`, "A")).toEqual(["10.0.0.11"]);
    expect(await pdns.dig(`web1.${zone}`, "AAAA")).toEqual(["2001:db8::11"]);
    expect(await pdns.dig(`web2.${zone}`, "A")).toEqual(["10.0.0.12", "10.0.0.13"]);
    expect(await pdns.dig(`11.${reverseZone}`, "PTR")).toEqual([`web1.${zone}`]);

    // the marker as PowerDNS stores it
    const raw = (await pdns.zone(zone)).rrsets.find((r) => r.name === `web1.${zone}` && r.type === "A");
    expect(raw?.comments.map((c) => [c.content, c.account])).toEqual([[OWNER_COMMENT, "pipam-test"]]);

    const cur = await p.records(sig());
    const web1 = cur.find((r) => r.name === `web1.${zone}` && r.type === "A")!;
    const web2 = cur.find((r) => r.name === `web2.${zone}`)!;
    const r2 = await p.apply(
      changes({ updateOld: [web1], updateNew: [{ ...web1, records: ["10.0.0.21"] }], delete: [web2] }),
      sig(),
    );
    expect(r2).toEqual({ applied: 2, failed: [], writes: 1 });
    expect(await pdns.dig(`web1.${zone}`, "A")).toEqual(["10.0.0.21"]);
    expect(await pdns.dig(`web2.${zone}`, "A")).toEqual([]);
    expect(await pdns.serial(zone)).toBe(serial0 + 2);
  });

  test("URLs are built from the zone id (an underscore zone's id differs from its name)", async () => {
    const zone = `under_score${++zoneNo}.pdns.test.`;
    const id = await pdns.createZone(zone);
    expect(id).not.toBe(zone);
    const p = provider([zone]);
    const res = await p.apply(changes({ create: [a(zone, "u", "10.9.0.1")] }), sig());
    expect(res).toMatchObject({ applied: 1, failed: [] });
    expect((await p.records(sig())).map((r) => [r.name, r.owner])).toEqual([[`u.${zone}`, "pipam-test"]]);
    expect(await pdns.dig(`u.${zone}`, "A")).toEqual(["10.9.0.1"]);
  });

  test("an empty diff sends nothing: the serial does not move", async () => {
    const { zone } = await freshZones();
    const p = provider([zone]);
    await p.apply(changes({ create: [a(zone, "x", "10.1.0.1")] }), sig());
    const serial = await pdns.serial(zone);
    const before = writes();
    for (let i = 0; i < 3; i++) {
      await p.records(sig());
      expect(await p.apply(emptyChanges(), sig())).toEqual({ applied: 0, failed: [], writes: 0 });
    }
    expect(writes()).toBe(before);
    expect(await pdns.serial(zone)).toBe(serial);
  });

  test("hand-made records survive everything pipam does, seen by dig", async () => {
    const { zone } = await freshZones();
    await pdns.seed(zone, { name: `hand.${zone}`, type: "A", records: ["192.0.2.10"] });
    await pdns.seed(zone, { name: `www.${zone}`, type: "CNAME", records: [`hand.${zone}`] });
    await pdns.seed(zone, { name: zone, type: "TXT", records: ['"hello"'] });
    await pdns.seed(zone, {
      name: `nb.${zone}`,
      type: "A",
      records: ["192.0.2.11"],
      comments: [{ content: "vm 42", account: "netbox-sync" }],
    });
    const p = provider([zone]);
    const cur = await p.records(sig());
    expect(cur.map((r) => [r.name, r.owner])).toEqual([
      [`hand.${zone}`, undefined],
      [`nb.${zone}`, undefined],
    ]);
    // a naive "delete everything not desired" plan: the provider refuses every foreign rrset
    const res = await p.apply(
      changes({ delete: cur, create: [a(zone, "hand", "10.9.9.9"), a(zone, "mine", "10.0.0.1")] }),
      sig(),
    );
    expect(res.applied).toBe(1);
    expect(res.failed.length).toBe(3);
    expect(await pdns.dig(`hand.${zone}`, "A")).toEqual(["192.0.2.10"]);
    expect(await pdns.dig(`nb.${zone}`, "A")).toEqual(["192.0.2.11"]);
    expect(await pdns.dig(`www.${zone}`, "CNAME")).toEqual([`hand.${zone}`]);
    expect(await pdns.dig(zone, "TXT")).toEqual(['"hello"']);
    expect(await pdns.dig(`mine.${zone}`, "A")).toEqual(["10.0.0.1"]);
    const nb = (await pdns.zone(zone)).rrsets.find((r) => r.name === `nb.${zone}`);
    expect(nb?.comments.map((c) => c.account)).toEqual(["netbox-sync"]);
  });

  test("a 422 on one rrset does not block the others (isolated, reported with PowerDNS's text)", async () => {
    const { zone, reverseZone } = await freshZones();
    await pdns.seed(zone, { name: `clash.${zone}`, type: "CNAME", records: [`elsewhere.example.`] });
    const p = provider([zone], { reverseZones: [reverseZone] });
    await p.records(sig());
    const good = Array.from({ length: 20 }, (_, i) => a(zone, `ok${i}`, `10.2.0.${i + 1}`));
    const bad = a(zone, "clash", "10.2.1.1");
    const badPtr: RRset = {
      zone: reverseZone,
      name: `5.${reverseZone}`,
      type: "PTR",
      ttl: 300,
      records: ["bad name.example."],
    };
    const goodPtr: RRset = {
      zone: reverseZone,
      name: `6.${reverseZone}`,
      type: "PTR",
      ttl: 300,
      records: [`ok1.${zone}`],
    };
    const before = writes();
    const res = await p.apply(
      changes({ create: [...good.slice(0, 10), bad, ...good.slice(10), badPtr, goodPtr] }),
      sig(),
    );
    expect(res.applied).toBe(21);
    expect(res.failed.map((f) => f.item.name).sort()).toEqual([`5.${reverseZone}`, `clash.${zone}`]);
    const clashErr = res.failed.find((f) => f.item.name === `clash.${zone}`)!.error;
    expect(clashErr).toContain("422");
    expect(clashErr.toLowerCase()).toContain("conflict");
    expect(writes() - before).toBeLessThanOrEqual(12); // isolation, not one PATCH per rrset
    for (let i = 0; i < 20; i++) expect(await pdns.dig(`ok${i}.${zone}`, "A")).toEqual([`10.2.0.${i + 1}`]);
    expect(await pdns.dig(`clash.${zone}`, "CNAME")).toEqual(["elsewhere.example."]);
    expect(await pdns.dig(`6.${reverseZone}`, "PTR")).toEqual([`ok1.${zone}`]);
  });

  test("bisection isolates two bad rrsets PowerDNS does not name", async () => {
    const { zone } = await freshZones();
    const p = provider([zone]);
    const good = Array.from({ length: 30 }, (_, i) => a(zone, `g${i}`, `10.3.0.${i + 1}`));
    const bad1 = { ...a(zone, "bad one", "10.3.1.1") };
    const bad2 = { ...a(zone, "bad two", "10.3.1.2") };
    const res = await p.apply(
      changes({ create: [bad1, ...good.slice(0, 15), bad2, ...good.slice(15)] }),
      sig(),
    );
    expect(res.applied).toBe(30);
    expect(res.failed.map((f) => f.item.name).sort()).toEqual([bad1.name, bad2.name]);
    expect(res.failed[0]!.error).toContain("422");
    expect(await pdns.dig(`g0.${zone}`, "A")).toEqual(["10.3.0.1"]);
    expect(await pdns.dig(`g29.${zone}`, "A")).toEqual(["10.3.0.30"]);
  });

  test("large diffs are split under the body limit; an oversized PATCH (400) is bisected", async () => {
    const { zone } = await freshZones();
    const rrs = Array.from({ length: 17_000 }, (_, i) => a(zone, `h${i}`, `10.4.${i >> 8}.${i & 255}`));
    const p = provider([zone]); // default limit < 2 MiB: 17,000 rrsets (~2.6 MB) need 2 PATCHes
    const res = await p.apply(changes({ create: rrs }), sig());
    expect(res).toEqual({ applied: 17_000, failed: [], writes: 2 });
    expect(await pdns.dig(`h16999.${zone}`, "A")).toEqual(["10.4.66.103"]);

    const zone2 = (await freshZones()).zone;
    const big = provider([zone2], { maxBodyBytes: 64 * 1024 * 1024 }); // pretend the server takes more
    const before = sent.length;
    const res2 = await big.apply(
      changes({ create: rrs.map((r) => ({ ...r, zone: zone2, name: r.name.replace(zone, zone2) })) }),
      sig(),
    );
    expect(res2.applied).toBe(17_000);
    expect(res2.failed).toEqual([]);
    expect(
      sent
        .slice(before)
        .filter((s) => s.method === "PATCH")
        .map((s) => s.status),
    ).toEqual([400, 204, 204]);
    expect((await big.records(sig())).length).toBe(17_000);
  });

  test("small body limit: many PATCHes, each under the limit, all applied", async () => {
    const { zone } = await freshZones();
    const p = provider([zone], { maxBodyBytes: 20_000 });
    const rrs = Array.from({ length: 600 }, (_, i) => a(zone, `s${i}`, `10.5.${i >> 8}.${i & 255}`));
    const serial = await pdns.serial(zone);
    const res = await p.apply(changes({ create: rrs }), sig());
    expect(res.applied).toBe(600);
    expect(res.writes).toBeGreaterThan(5);
    expect(await pdns.serial(zone)).toBe(serial + res.writes);
    expect((await p.records(sig())).length).toBe(600);
  });

  test("PowerDNS unreachable: retried with backoff, then a transient error", async () => {
    const p = provider(["x.pdns.test."], { url: "http://127.0.0.1:9", retries: 3, retryBaseMs: 5 });
    const before = sent.length;
    const err = await p.records(sig()).catch((e) => e);
    expect(err).toBeInstanceOf(PipamError);
    expect(isTransient(err)).toBe(true);
    expect((err as PipamError).message).toContain("gave up after 4 attempts");
    expect(sent.length - before).toBe(4);
  });

  test("PowerDNS killed mid-cycle, then back: the apply is retried and converges", async () => {
    const { zone } = await freshZones();
    const p = provider([zone], { retries: 10, retryBaseMs: 100, retryMaxMs: 400 });
    await p.records(sig());
    await pdns.kill();
    const pending = p.apply(changes({ create: [a(zone, "late", "10.6.0.1")] }), sig());
    await Bun.sleep(600);
    await pdns.restart();
    const res = await pending;
    expect(res.applied).toBe(1);
    expect(res.writes).toBeGreaterThan(1);
    expect(await pdns.dig(`late.${zone}`, "A")).toEqual(["10.6.0.1"]);
    expect(sent.some((s) => s.status === 0)).toBe(true);
  });

  test("sqlite 'database is locked' under concurrent writers is retried until all converge", async () => {
    const { zone } = await freshZones();
    let saw500 = 0;
    for (let round = 0; round < 5 && saw500 === 0; round++) {
      const before = sent.length;
      const providers = Array.from({ length: 8 }, () =>
        provider([zone], { retries: 12, retryBaseMs: 10, retryMaxMs: 200 }),
      );
      const results = await Promise.all(
        providers.map((p, i) =>
          p.apply(
            changes({
              create: Array.from({ length: 20 }, (_, j) =>
                a(zone, `c${round}-${i}-${j}`, `10.7.${i}.${j + 1}`),
              ),
            }),
            sig(),
          ),
        ),
      );
      for (const r of results) expect(r).toMatchObject({ applied: 20, failed: [] });
      saw500 += sent.slice(before).filter((s) => s.status === 500).length;
      expect(await pdns.dig(`c${round}-7-19.${zone}`, "A")).toEqual(["10.7.7.20"]);
    }
    expect(saw500).toBeGreaterThan(0); // the fault really happened (and was survived)
  });

  test("a missing zone: a clear failure, or created (api_rectify off) with createZones", async () => {
    const zone = `missing${++zoneNo}.pdns.test.`;
    const p = provider([zone]);
    await p.records(sig());
    const res = await p.apply(changes({ create: [a(zone, "x", "10.8.0.1")] }), sig());
    expect(res.applied).toBe(0);
    expect(res.writes).toBe(0);
    expect(res.failed[0]?.error).toContain(`zone ${zone} does not exist`);

    const c = provider([zone], { createZones: true });
    const res2 = await c.apply(changes({ create: [a(zone, "x", "10.8.0.1")] }), sig());
    expect(res2).toMatchObject({ applied: 1, failed: [] });
    expect(await pdns.dig(`x.${zone}`, "A")).toEqual(["10.8.0.1"]);
    const meta = await pdns.api("GET", `/zones/${zone}/metadata`);
    expect(meta.json).toContainEqual(expect.objectContaining({ kind: "API-RECTIFY", metadata: ["0"] }));
  });

  test("health: version, key, zones and reverse zones, with hints", async () => {
    const { zone, reverseZone } = await freshZones();
    const ok = await provider([zone], { reverseZones: [reverseZone] }).health(sig());
    expect(ok.every((c) => c.ok)).toBe(true);
    expect(ok[0]?.detail).toContain("4.");
    expect(ok.map((c) => c.name)).toEqual([
      "powerdns reachable",
      `powerdns zone ${zone}`,
      `powerdns reverse zone ${reverseZone}`,
    ]);

    const missing = await provider([zone, "nope.pdns.test."], { reverseZones: undefined }).health(sig());
    const nope = missing.find((c) => c.name === "powerdns zone nope.pdns.test.")!;
    expect(nope.ok).toBe(false);
    expect(nope.hint).toContain("create_zones");
    const rev = missing.find((c) => c.name === "powerdns reverse zones")!;
    expect(rev.ok).toBe(true);
    expect(rev.detail).toContain(reverseZone);

    const badKey = await provider([zone], { apiKey: "wrong" }).health(sig());
    expect(badKey).toHaveLength(1);
    expect(badKey[0]).toMatchObject({ ok: false });
    expect(badKey[0]?.hint).toContain("API key");

    const down = await provider([zone], { url: "http://127.0.0.1:9" }).health(sig());
    expect(down[0]?.ok).toBe(false);
    expect(down[0]?.hint).toContain("pdns_server running");
  });

  test("a 401 from records() is a non-transient auth error", async () => {
    const err = await provider(["x.pdns.test."], { apiKey: "wrong" })
      .records(sig())
      .catch((e) => e);
    expect(err).toBeInstanceOf(PipamError);
    expect((err as PipamError).code).toBe("auth");
    expect(isTransient(err)).toBe(false);
  });
});
