import { beforeEach, describe, expect, test } from "bun:test";
import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemoryDnsProvider, type MemoryDnsProvider } from "../providers/dns/memory.ts";
import type { Guest, Inventory } from "../state/model.ts";
import { createReconciler, type Reconciler, type Source } from "./reconciler.ts";
import { createMemoryStore } from "./store.ts";

const OWNER = "pipam-test";
const clock: Clock = { now: () => 1_700_000_000_000, sleep: async () => {} };

function guest(vmid: number, name: string, ips: string[], extra: Partial<Guest> = {}): Guest {
  return {
    cluster: "pve",
    node: "n1",
    vmid,
    type: "qemu",
    name,
    status: "running",
    template: false,
    tags: [],
    nics: [
      {
        name: "eth0",
        mac: `bc:24:11:00:00:${vmid.toString(16).padStart(2, "0")}`,
        addresses: ips.map((ip) => ({ ip, family: ip.includes(":") ? 6 : 4, source: "agent" })),
      },
    ],
    ...extra,
  };
}

/** A source whose inventory the test edits; `fail` makes the next collect throw. */
function fakeSource(guests: Guest[]) {
  const s = {
    guests,
    complete: true,
    fail: false,
    calls: 0,
    async collect(): Promise<Inventory> {
      s.calls++;
      if (s.fail) throw new Error("proxmox unreachable");
      return {
        collectedAt: clock.now(),
        guests: structuredClone(s.guests),
        complete: s.complete,
        errors: s.complete ? [] : [{ cluster: "pve", message: "list failed" }],
      };
    },
  };
  return s satisfies Source;
}

const rules = {
  zones: [{ zone: "lab.example.", networks: ["10.0.0.0/16", "fd00::/64"] }],
  skipCidrs: [],
  ttl: 300,
  ptr: true,
  ignoreInterfaces: ["veth*"],
  tags: { ignore: "pipam-ignore" },
};

describe("reconciler (memory DNS provider)", () => {
  let dns: MemoryDnsProvider;
  let src: ReturnType<typeof fakeSource>;
  let rec: Reconciler;
  let store: ReturnType<typeof createMemoryStore>;
  const signal = new AbortController().signal;
  const names = () => dns.dump().map((r) => `${r.name} ${r.type} ${r.records.join(",")} ${r.owner ?? "-"}`);

  beforeEach(() => {
    dns = createMemoryDnsProvider({
      ownerId: OWNER,
      zones: ["lab.example."],
      serverZones: ["10.in-addr.arpa."],
    });
    src = fakeSource([guest(100, "web", ["10.0.0.10", "fd00::10"]), guest(101, "db", ["10.0.0.11"])]);
    store = createMemoryStore();
    rec = createReconciler({
      source: src,
      dns: { provider: dns, rules, ownerId: OWNER, policy: "sync" },
      store,
      clock,
      logger: silentLogger,
    });
  });

  test("first cycle creates A, AAAA and PTR; an unchanged cycle sends nothing", async () => {
    const r1 = await rec.runCycle({ full: true }, signal);
    expect(r1.errors).toEqual([]);
    expect(names()).toContain("web.lab.example. A 10.0.0.10 pipam-test");
    expect(names()).toContain("web.lab.example. AAAA fd00::10 pipam-test");
    expect(names()).toContain("10.0.0.10.in-addr.arpa. PTR web.lab.example. pipam-test");
    const writes = dns.writes();
    const commits = store.commits;
    const r2 = await rec.runCycle({ full: false }, signal);
    expect(r2.providerRead).toBe(false);
    expect(r2.writes).toBe(0);
    expect(dns.writes()).toBe(writes);
    expect(store.commits).toBe(commits);
  });

  test("IP change updates, removed guest is deleted, foreign records untouched", async () => {
    dns.seed({
      zone: "lab.example.",
      name: "printer.lab.example.",
      type: "A",
      ttl: 60,
      records: ["10.0.9.9"],
    });
    await rec.runCycle({ full: true }, signal);
    src.guests[0] = guest(100, "web", ["10.0.0.20"]);
    src.guests.splice(1, 1);
    const r = await rec.runCycle({ full: false }, signal);
    expect(r.changes.updateNew.map((x) => x.name)).toContain("web.lab.example.");
    expect(r.changes.delete.map((x) => x.name)).toContain("db.lab.example.");
    expect(names()).toContain("web.lab.example. A 10.0.0.20 pipam-test");
    expect(names().some((n) => n.startsWith("db.lab.example."))).toBe(false);
    expect(names()).toContain("printer.lab.example. A 10.0.9.9 -");
  });

  test("a failed collection changes nothing; an incomplete one never deletes", async () => {
    await rec.runCycle({ full: true }, signal);
    const before = names();
    src.fail = true;
    const r1 = await rec.runCycle({ full: true }, signal);
    expect(r1.errors[0]).toContain("proxmox unreachable");
    expect(names()).toEqual(before);
    src.fail = false;
    src.complete = false;
    src.guests = [src.guests[0]!];
    const r2 = await rec.runCycle({ full: true }, signal);
    expect(r2.changes.delete).toEqual([]);
    expect(names()).toEqual(before);
  });

  test("a name held by a foreign record is a conflict and is not overwritten", async () => {
    dns.seed({ zone: "lab.example.", name: "db.lab.example.", type: "A", ttl: 60, records: ["192.0.2.1"] });
    const r = await rec.runCycle({ full: true }, signal);
    expect(r.conflicts.some((c) => c.kind === "foreign" && c.subject.startsWith("db.lab.example"))).toBe(
      true,
    );
    expect(names()).toContain("db.lab.example. A 192.0.2.1 -");
  });

  test("a rejected rrset does not block the rest and is retried only on a full reconcile", async () => {
    dns.rejectWhen((rr) => (rr.name.startsWith("db.") ? "Conflicts with pre-existing RRset" : undefined));
    const r1 = await rec.runCycle({ full: true }, signal);
    expect(r1.failed.map((f) => f.item.name)).toContain("db.lab.example.");
    expect(names()).toContain("web.lab.example. A 10.0.0.10 pipam-test");
    const writes = dns.writes();
    const r2 = await rec.runCycle({ full: false }, signal);
    expect(r2.providerRead).toBe(false);
    expect(dns.writes()).toBe(writes);
    dns.rejectWhen(undefined);
    await rec.runCycle({ full: true }, signal);
    expect(names()).toContain("db.lab.example. A 10.0.0.11 pipam-test");
    expect(store.state().dnsFailed.size).toBe(0);
  });

  test("a transient provider failure is reported and the next cycle converges", async () => {
    dns.failNext(1);
    const r1 = await rec.runCycle({ full: true }, signal);
    expect(r1.errors.length).toBeGreaterThan(0);
    const r2 = await rec.runCycle({ full: true }, signal);
    expect(r2.errors).toEqual([]);
    expect(names()).toContain("db.lab.example. A 10.0.0.11 pipam-test");
  });

  test("dry-run and upsert-only write no deletes", async () => {
    await rec.runCycle({ full: true }, signal);
    src.guests.splice(1, 1);
    const dry = await rec.runCycle({ full: true, dryRun: true }, signal);
    expect(dry.changes.delete.length).toBeGreaterThan(0);
    expect(names().some((n) => n.startsWith("db.lab.example."))).toBe(true);
    const upsert = createReconciler({
      source: src,
      dns: { provider: dns, rules, ownerId: OWNER, policy: "upsert-only" },
      store,
      clock,
      logger: silentLogger,
    });
    const r = await upsert.runCycle({ full: true }, signal);
    expect(r.changes.delete).toEqual([]);
    expect(names().some((n) => n.startsWith("db.lab.example."))).toBe(true);
  });

  test("a restarted pipam (empty state) recognises its own records and duplicates nothing", async () => {
    await rec.runCycle({ full: true }, signal);
    const before = names();
    const fresh = createReconciler({
      source: src,
      dns: { provider: dns.withOwner(OWNER), rules, ownerId: OWNER, policy: "sync" },
      store: createMemoryStore(),
      clock,
      logger: silentLogger,
    });
    const r = await fresh.runCycle({ full: true }, signal);
    expect(r.changes.create).toEqual([]);
    expect(r.writes).toBe(0);
    expect(names()).toEqual(before);
  });
});
