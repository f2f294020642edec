import { expect, test } from "bun:test";
import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemoryDnsProvider } from "../providers/dns/memory.ts";
import { applyDelta, emptyDelta } from "../reconcile/delta.ts";
import { createReconciler } from "../reconcile/reconciler.ts";
import { createMemoryStore } from "../reconcile/store.ts";
import type { Guest, Inventory } from "../state/model.ts";
import { guestEntries } from "./admin-service.ts";

const clock: Clock = { now: () => 1_700_000_000_000, sleep: async () => {} };
const g = (vmid: number, name: string, ip: string): Guest => ({
  cluster: "pve",
  node: "n1",
  vmid,
  type: "qemu",
  name,
  status: "running",
  template: false,
  tags: [],
  nics: [{ name: "eth0", addresses: [{ ip, family: 4, source: "agent" }] }],
});

test("ListEntries: each guest's DNS and NetBox state from the replicated state", async () => {
  const dns = createMemoryDnsProvider({ ownerId: "me", zones: ["lab.example."] });
  dns.seed({ zone: "lab.example.", name: "db.lab.example.", type: "A", ttl: 60, records: ["192.0.2.1"] });
  dns.rejectWhen((rr) => (rr.name.startsWith("bad.") ? "invalid name" : undefined));
  const inv: Inventory = {
    collectedAt: 0,
    complete: true,
    errors: [],
    guests: [
      g(100, "web", "10.0.0.10"),
      g(101, "db", "10.0.0.11"),
      g(102, "bad", "10.0.0.12"),
      g(103, "outside", "192.168.9.9"),
    ],
  };
  const store = createMemoryStore();
  const rec = createReconciler({
    source: { collect: async () => structuredClone(inv) },
    dns: {
      provider: dns,
      ownerId: "me",
      policy: "sync",
      rules: {
        zones: [{ zone: "lab.example.", networks: ["10.0.0.0/16"] }],
        skipCidrs: [],
        ttl: 300,
        ptr: false,
        ignoreInterfaces: [],
        tags: { ignore: "pipam-ignore" },
      },
    },
    store,
    clock,
    logger: silentLogger,
  });
  await rec.runCycle({ full: true }, new AbortController().signal);
  const by = (filter = "") => new Map(guestEntries(store.state(), filter).map((e) => [e.name, e]));
  let e = by();
  expect([...e.keys()].sort()).toEqual(["bad", "db", "outside", "web"]);
  expect(e.get("web")).toMatchObject({
    key: "pve/100",
    dnsState: "in-sync",
    netboxState: "",
    ips: ["10.0.0.10"],
  });
  expect(e.get("db")!.dnsState).toStartWith("conflict: ");
  expect(e.get("bad")!.dnsState).toBe("rejected: invalid name");
  expect(e.get("outside")!.dnsState).toBe("none"); // no zone covers its address

  // after a NetBox apply that refused one object of db
  const s = store.state();
  applyDelta(s, {
    ...emptyDelta(),
    ipam: { sig: "abc", failed: [{ kind: "ip", name: "10.0.0.11/24", vm: "pve/101", error: "duplicate" }] },
  });
  e = by();
  expect(e.get("db")!.netboxState).toBe("failed: ip 10.0.0.11/24: duplicate");
  expect(e.get("web")!.netboxState).toBe("in-sync");

  expect([...by("WE").keys()]).toEqual(["web"]);
  expect([...by("102").keys()]).toEqual(["bad"]);
  expect(by("nothing").size).toBe(0);
});
