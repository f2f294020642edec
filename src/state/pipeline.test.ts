/**
 * The whole pure pipeline, cycle after cycle, against an in-memory "provider" that applies
 * Changes the way PowerDNS does (replace / delete per rrset; marks creates with the owner):
 * derive → plan → policy → filterOwned → apply. Hand-made (foreign) rrsets are seeded first and
 * must survive every scenario, including `clean`.
 */
import { describe, expect, test } from "bun:test";
import { testGuest as g } from "../testing/reconciled.ts";
import { deleteGuard } from "./delete-guard.ts";
import { type DnsRules, deriveDns } from "./derive-dns.ts";
import type { Changes, Guest, Inventory, Policy, RRset } from "./model.ts";
import { rrsetId } from "./normalize.ts";
import { filterOwned } from "./ownership.ts";
import { plan, planClean } from "./plan.ts";
import { applyPolicy } from "./policy.ts";

const ME = "pipam-a";
const rules: DnsRules = {
  zones: [{ zone: "example.com.", networks: ["10.0.0.0/16", "2001:db8::/32"] }],
  skipCidrs: [],
  ttl: 300,
  ptr: true,
  reverseZones: ["0.10.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."],
  ignoreInterfaces: ["lo"],
  tags: { ignore: "pipam-ignore" },
};
const foreign: RRset[] = [
  { zone: "example.com.", name: "www.example.com.", type: "A", ttl: 3600, records: ["10.0.0.80"] },
  {
    zone: "0.10.in-addr.arpa.",
    name: "80.0.0.10.in-addr.arpa.",
    type: "PTR",
    ttl: 3600,
    records: ["www.example.com."],
  },
  {
    zone: "example.com.",
    name: "other.example.com.",
    type: "A",
    ttl: 60,
    records: ["10.0.0.99"],
    owner: "pipam-b",
  },
];

const inv = (guests: Guest[], complete = true): Inventory => ({
  collectedAt: 0,
  complete,
  errors: complete ? [] : [{ cluster: "pve", message: "list failed" }],
  guests,
});

/** A fake zone store that applies changes like PowerDNS (REPLACE/DELETE by zone, name, type). */
function createStore(seed: RRset[]) {
  const rrsets = new Map(seed.map((r) => [rrsetId(r), r]));
  return {
    records: () => [...rrsets.values()],
    apply(c: Changes<RRset>) {
      for (const r of c.delete) rrsets.delete(rrsetId(r));
      for (const r of [...c.create, ...c.updateNew]) {
        const { guests: _g, ...stored } = r; // providers do not store guests
        rrsets.set(rrsetId(r), { ...stored, owner: ME });
      }
    },
  };
}

function cycle(store: ReturnType<typeof createStore>, i: Inventory, policy: Policy, previous: RRset[] = []) {
  const d = deriveDns(i, rules, { previous });
  const p = plan(d.rrsets, store.records(), ME, { allowDelete: deleteGuard(i, d.held, previous) });
  const changes = filterOwned(applyPolicy(policy, p.changes), ME);
  store.apply(changes);
  return { derived: d, changes };
}

const view = (list: RRset[]) => list.map((r) => `${r.name} ${r.type} ${r.records.join(",")}`).sort();
const foreignIntact = (store: ReturnType<typeof createStore>) => {
  for (const f of foreign) expect(store.records()).toContainEqual(f);
};

describe("pipeline (pure)", () => {
  test("sync: create, converge, IP change, stop, removal, clean — foreign records untouched throughout", () => {
    const store = createStore(foreign);
    const web = g(100, "web", ["10.0.0.10", "2001:db8::10"]);
    const db = g(101, "db", ["10.0.0.11"]);
    const www = g(102, "www", ["10.0.0.12"]); // wants a name held by hand
    let r = cycle(store, inv([web, db, www]), "sync");
    expect(r.derived.rrsets.length).toBe(8);
    expect(view(store.records())).toEqual(
      [
        "10.0.0.10.in-addr.arpa. PTR web.example.com.",
        "11.0.0.10.in-addr.arpa. PTR db.example.com.",
        "80.0.0.10.in-addr.arpa. PTR www.example.com.",
        "db.example.com. A 10.0.0.11",
        "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR web.example.com.",
        "other.example.com. A 10.0.0.99",
        "web.example.com. A 10.0.0.10",
        "web.example.com. AAAA 2001:db8::10",
        "www.example.com. A 10.0.0.80",
      ].sort(),
    );
    foreignIntact(store);

    // converged: the next cycle plans nothing
    r = cycle(store, inv([web, db, www]), "sync");
    expect(r.changes).toEqual({ create: [], updateOld: [], updateNew: [], delete: [] });

    // IP change
    r = cycle(store, inv([g(100, "web", ["10.0.0.20", "2001:db8::10"]), db, www]), "sync");
    expect(view(r.changes.updateNew)).toEqual(["web.example.com. A 10.0.0.20"]);
    expect(view(r.changes.create)).toEqual(["20.0.0.10.in-addr.arpa. PTR web.example.com."]);
    expect(view(r.changes.delete)).toEqual(["10.0.0.10.in-addr.arpa. PTR web.example.com."]);

    // stopped: records stay (the collector still reports its addresses)
    r = cycle(
      store,
      inv([g(100, "web", ["10.0.0.20", "2001:db8::10"], { status: "stopped" }), db, www]),
      "sync",
    );
    expect(r.changes.create.length + r.changes.updateNew.length + r.changes.delete.length).toBe(0);

    // a partial read never deletes
    const previous = store.records().filter((x) => x.owner === ME);
    const withGuests = deriveDns(inv([g(100, "web", ["10.0.0.20", "2001:db8::10"]), db, www]), rules).rrsets;
    r = cycle(store, inv([www], false), "sync", withGuests);
    expect(r.changes.delete).toEqual([]);
    expect(store.records().filter((x) => x.owner === ME)).toEqual(previous);

    // removal from a complete inventory deletes
    r = cycle(store, inv([www]), "sync");
    expect(view(r.changes.delete)).toEqual(
      [
        "11.0.0.10.in-addr.arpa. PTR db.example.com.",
        "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR web.example.com.",
        "20.0.0.10.in-addr.arpa. PTR web.example.com.",
        "db.example.com. A 10.0.0.11",
        "web.example.com. A 10.0.0.20",
        "web.example.com. AAAA 2001:db8::10",
      ].sort(),
    );
    foreignIntact(store);

    // clean: everything we own goes, nothing else
    store.apply(planClean(store.records(), ME));
    expect(store.records()).toEqual(foreign);
  });

  test("upsert-only never deletes; create-only never updates", () => {
    const store = createStore(foreign);
    cycle(store, inv([g(100, "web", ["10.0.0.10"])]), "sync");
    let r = cycle(store, inv([g(100, "web", ["10.0.0.30"])]), "create-only");
    expect(r.changes.updateNew).toEqual([]);
    expect(view(store.records())).toContain("web.example.com. A 10.0.0.10");
    expect(view(store.records())).toContain("30.0.0.10.in-addr.arpa. PTR web.example.com.");
    r = cycle(store, inv([g(100, "web", ["10.0.0.30"])]), "upsert-only");
    expect(view(store.records())).toContain("web.example.com. A 10.0.0.30");
    expect(view(store.records())).toContain("10.0.0.10.in-addr.arpa. PTR web.example.com.");
    r = cycle(store, inv([]), "upsert-only");
    expect(r.changes.delete).toEqual([]);
    expect(store.records().filter((x) => x.owner === ME)).toHaveLength(3);
    foreignIntact(store);
  });

  test("clean --collect removes only the collected guests' owned rrsets", () => {
    const store = createStore(foreign);
    cycle(
      store,
      inv([g(100, "web", ["10.0.0.10"]), g(101, "db", ["10.0.0.11"]), g(80, "www", ["10.0.0.80"])]),
      "sync",
    );
    const targets = deriveDns(inv([g(100, "web", ["10.0.0.10"]), g(80, "www", ["10.0.0.80"])]), rules).rrsets;
    const c = planClean(store.records(), ME, targets);
    expect(view(c.delete)).toEqual([
      "10.0.0.10.in-addr.arpa. PTR web.example.com.",
      "web.example.com. A 10.0.0.10",
    ]);
    store.apply(c);
    foreignIntact(store);
    expect(view(store.records())).toContain("db.example.com. A 10.0.0.11");
  });
});
