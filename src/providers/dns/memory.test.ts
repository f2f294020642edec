import { describe, expect, test } from "bun:test";
import { isTransient } from "../../lib/errors.ts";
import { emptyChanges, type RRset } from "../../state/model.ts";
import { runDnsProviderContract } from "./contract.case.ts";
import { createMemoryDnsProvider } from "./memory.ts";

describe("memory DnsProvider", () => {
  runDnsProviderContract(async () => {
    const provider = createMemoryDnsProvider({
      ownerId: "pipam-test",
      zones: ["lab.example."],
      reverseZones: ["0.0.10.in-addr.arpa."],
      serverZones: ["other.example."],
    });
    return {
      provider,
      ownerId: "pipam-test",
      zone: "lab.example.",
      reverseZone: "0.0.10.in-addr.arpa.",
      unmanagedZone: "other.example.",
      seedForeign: async (rr) => provider.seed(rr),
      writes: () => provider.writes(),
      reopen: (ownerId) => provider.withOwner(ownerId),
    };
  });

  const rr = (name: string, ip: string): RRset => ({
    zone: "lab.example.",
    name,
    type: "A",
    ttl: 60,
    records: [ip],
  });

  test("failNext makes records/apply throw a transient error, then recovers", async () => {
    const p = createMemoryDnsProvider({ ownerId: "o", zones: ["lab.example."], reverseZones: [] });
    p.failNext(2);
    const err = await p.records(AbortSignal.timeout(1000)).catch((e) => e);
    expect(isTransient(err)).toBe(true);
    const err2 = await p
      .apply(
        { ...emptyChanges<RRset>(), create: [rr("a.lab.example.", "10.0.0.1")] },
        AbortSignal.timeout(1000),
      )
      .catch((e) => e);
    expect(isTransient(err2)).toBe(true);
    expect(p.dump()).toEqual([]);
    const ok = await p.apply(
      { ...emptyChanges<RRset>(), create: [rr("a.lab.example.", "10.0.0.1")] },
      AbortSignal.timeout(1000),
    );
    expect(ok.applied).toBe(1);
  });

  test("rejectWhen rejects one rrset like a 422 and applies the rest", async () => {
    const p = createMemoryDnsProvider({ ownerId: "o", zones: ["lab.example."], reverseZones: [] });
    p.rejectWhen((r) => (r.name.startsWith("bad.") ? "Conflicts with pre-existing RRset" : undefined));
    const res = await p.apply(
      {
        ...emptyChanges<RRset>(),
        create: [rr("bad.lab.example.", "10.0.0.1"), rr("good.lab.example.", "10.0.0.2")],
      },
      AbortSignal.timeout(1000),
    );
    expect(res.applied).toBe(1);
    expect(res.failed).toEqual([
      { item: rr("bad.lab.example.", "10.0.0.1"), error: "Conflicts with pre-existing RRset" },
    ]);
    expect(p.dump().map((r) => r.name)).toEqual(["good.lab.example."]);
  });

  test("reverse zones are discovered when not configured", async () => {
    const p = createMemoryDnsProvider({
      ownerId: "o",
      zones: ["lab.example."],
      serverZones: ["10.in-addr.arpa."],
    });
    const res = await p.apply(
      {
        ...emptyChanges<RRset>(),
        create: [
          {
            zone: "10.in-addr.arpa.",
            name: "1.0.0.10.in-addr.arpa.",
            type: "PTR",
            ttl: 60,
            records: ["a.lab.example."],
          },
        ],
      },
      AbortSignal.timeout(1000),
    );
    expect(res).toMatchObject({ applied: 1, failed: [], writes: 1 });
    expect((await p.records(AbortSignal.timeout(1000))).map((r) => r.name)).toEqual([
      "1.0.0.10.in-addr.arpa.",
    ]);
  });
});
