/**
 * The DnsProvider contract, shared by every implementation (in-memory and PowerDNS), in the style
 * of hono's router `runTest`: create/update/delete, normalisation, the ownership marker surviving
 * a restart, foreign rrsets never touched, unmanaged zones refused, empty diffs writing nothing.
 */
import { expect, test } from "bun:test";
import { type Changes, emptyChanges, type RRset } from "../../state/model.ts";
import type { DnsProvider } from "../provider.ts";

export interface DnsContractFixture {
  provider: DnsProvider;
  ownerId: string;
  /** A managed forward zone with no A/AAAA/PTR rrsets yet. */
  zone: string;
  /** A managed reverse zone (…in-addr.arpa.), empty. */
  reverseZone: string;
  /** A zone that exists on the server but is not managed. */
  unmanagedZone: string;
  /** Store an rrset by hand (`owner` set = marked by that other owner id). */
  seedForeign(rr: RRset): Promise<void>;
  /** Write requests sent to the server so far (by any provider instance). */
  writes(): number;
  /** Another provider instance over the same server (a restarted pipam, or another owner id). */
  reopen(ownerId: string): DnsProvider;
}

const signal = () => AbortSignal.timeout(60_000);
const changes = (c: Partial<Changes<RRset>>): Changes<RRset> => ({ ...emptyChanges<RRset>(), ...c });
const strip = (rrs: RRset[]) =>
  rrs.map(({ zone, name, type, ttl, records, owner }) => ({ zone, name, type, ttl, records, owner }));
const find = (rrs: RRset[], name: string, type: string) =>
  rrs.find((r) => r.name === name && r.type === type);

export function runDnsProviderContract(make: () => Promise<DnsContractFixture>): void {
  test("contract: an empty zone reads as no rrsets and an empty diff writes nothing", async () => {
    const f = await make();
    expect(await f.provider.records(signal())).toEqual([]);
    const before = f.writes();
    const res = await f.provider.apply(emptyChanges(), signal());
    expect(res).toEqual({ applied: 0, failed: [], writes: 0 });
    expect(f.writes()).toBe(before);
    expect((await f.provider.zones(signal())).includes(f.zone)).toBe(true);
  });

  test("contract: create, read back normalised with our owner, update, delete", async () => {
    const f = await make();
    const z = f.zone;
    const upper = `Web1.${z.toUpperCase()}`;
    const a: RRset = { zone: z, name: upper, type: "A", ttl: 300, records: ["10.0.0.2", "10.0.0.1"] };
    const aaaa: RRset = { zone: z, name: `web1.${z}`, type: "AAAA", ttl: 300, records: ["2001:DB8:0:0::A"] };
    const ptr: RRset = {
      zone: f.reverseZone,
      name: `1.${f.reverseZone}`,
      type: "PTR",
      ttl: 300,
      records: [`WEB1.${z}`],
    };
    await f.provider.records(signal());
    const res = await f.provider.apply(changes({ create: [a, aaaa, ptr] }), signal());
    expect(res.failed).toEqual([]);
    expect(res.applied).toBe(3);
    expect(res.writes).toBeGreaterThanOrEqual(2); // two zones: one write each
    const got = strip(await f.provider.records(signal()));
    expect(got).toContainEqual({
      zone: z,
      name: `web1.${z}`,
      type: "A",
      ttl: 300,
      records: ["10.0.0.1", "10.0.0.2"],
      owner: f.ownerId,
    });
    expect(got).toContainEqual({
      zone: z,
      name: `web1.${z}`,
      type: "AAAA",
      ttl: 300,
      records: ["2001:db8::a"],
      owner: f.ownerId,
    });
    expect(got).toContainEqual({
      zone: f.reverseZone,
      name: `1.${f.reverseZone}`,
      type: "PTR",
      ttl: 300,
      records: [`web1.${z}`],
      owner: f.ownerId,
    });

    const cur = await f.provider.records(signal());
    const oldA = find(cur, `web1.${z}`, "A")!;
    const newA = { ...oldA, ttl: 60, records: ["10.0.0.3"] };
    const upd = await f.provider.apply(changes({ updateOld: [oldA], updateNew: [newA] }), signal());
    expect(upd).toMatchObject({ applied: 1, failed: [] });
    expect(find(await f.provider.records(signal()), `web1.${z}`, "A")).toMatchObject({
      ttl: 60,
      records: ["10.0.0.3"],
    });

    const oldAAAA = find(cur, `web1.${z}`, "AAAA")!;
    const del = await f.provider.apply(changes({ delete: [oldAAAA] }), signal());
    expect(del).toMatchObject({ applied: 1, failed: [] });
    const after = await f.provider.records(signal());
    expect(find(after, `web1.${z}`, "AAAA")).toBeUndefined();
    expect(find(after, `web1.${z}`, "A")).toBeDefined();
  });

  test("contract: the ownership marker survives a restart; another owner id may not change it", async () => {
    const f = await make();
    const rr: RRset = { zone: f.zone, name: `keep.${f.zone}`, type: "A", ttl: 300, records: ["10.0.0.9"] };
    await f.provider.records(signal());
    expect((await f.provider.apply(changes({ create: [rr] }), signal())).failed).toEqual([]);

    const restarted = f.reopen(f.ownerId);
    const mine = find(await restarted.records(signal()), `keep.${f.zone}`, "A");
    expect(mine?.owner).toBe(f.ownerId);

    const other = f.reopen("someone-else");
    const seenByOther = find(await other.records(signal()), `keep.${f.zone}`, "A")!;
    expect(seenByOther.owner).toBe(f.ownerId);
    const writes = f.writes();
    const res = await other.apply(
      changes({
        delete: [seenByOther],
        updateOld: [seenByOther],
        updateNew: [{ ...seenByOther, records: ["10.9.9.9"] }],
      }),
      signal(),
    );
    expect(res.applied).toBe(0);
    expect(res.failed.length).toBe(2);
    expect(f.writes()).toBe(writes);
    expect(find(await restarted.records(signal()), `keep.${f.zone}`, "A")?.records).toEqual(["10.0.0.9"]);

    // the restarted instance may delete it
    const del = await restarted.apply(changes({ delete: [mine!] }), signal());
    expect(del).toMatchObject({ applied: 1, failed: [] });
  });

  test("contract: foreign rrsets are never touched; the rest of the batch is applied", async () => {
    const f = await make();
    const hand: RRset = { zone: f.zone, name: `hand.${f.zone}`, type: "A", ttl: 300, records: ["192.0.2.1"] };
    const theirs: RRset = { ...hand, name: `theirs.${f.zone}`, records: ["192.0.2.2"], owner: "other-tool" };
    await f.seedForeign(hand);
    await f.seedForeign(theirs);
    const cur = await f.provider.records(signal());
    const h = find(cur, `hand.${f.zone}`, "A")!;
    const t = find(cur, `theirs.${f.zone}`, "A")!;
    expect(h.owner).toBeUndefined();
    expect(t.owner).toBe("other-tool");

    const ok: RRset = { zone: f.zone, name: `ok.${f.zone}`, type: "A", ttl: 300, records: ["10.0.0.5"] };
    const res = await f.provider.apply(
      changes({
        create: [{ ...hand, records: ["10.6.6.6"] }, ok],
        delete: [h, { ...t, owner: f.ownerId }], // even a caller lying about the owner is refused
        updateOld: [t],
        updateNew: [{ ...t, records: ["10.7.7.7"] }],
      }),
      signal(),
    );
    expect(res.applied).toBe(1);
    expect(res.failed.map((x) => x.item.name).sort()).toEqual([
      `hand.${f.zone}`,
      `hand.${f.zone}`,
      `theirs.${f.zone}`,
      `theirs.${f.zone}`,
    ]);
    const after = await f.provider.records(signal());
    expect(strip([find(after, `hand.${f.zone}`, "A")!])).toEqual(strip([h]));
    expect(strip([find(after, `theirs.${f.zone}`, "A")!])).toEqual(strip([t]));
    expect(find(after, `ok.${f.zone}`, "A")?.owner).toBe(f.ownerId);
  });

  test("contract: changes outside the managed zones are refused without any write", async () => {
    const f = await make();
    await f.provider.records(signal());
    const before = f.writes();
    const res = await f.provider.apply(
      changes({
        create: [
          { zone: f.unmanagedZone, name: `x.${f.unmanagedZone}`, type: "A", ttl: 300, records: ["10.0.0.1"] },
          { zone: f.zone, name: "x.elsewhere.invalid.", type: "A", ttl: 300, records: ["10.0.0.1"] },
          { zone: f.zone, name: `bad.${f.zone}`, type: "A", ttl: 300, records: ["not-an-ip"] },
        ],
      }),
      signal(),
    );
    expect(res.applied).toBe(0);
    expect(res.failed.length).toBe(3);
    expect(res.writes).toBe(0);
    expect(f.writes()).toBe(before);
  });
}
