import { expect, test } from "bun:test";
import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemoryDnsProvider } from "../providers/dns/memory.ts";
import { createReconciler } from "../reconcile/reconciler.ts";
import { createMemoryStore } from "../reconcile/store.ts";
import type { Guest, Inventory } from "../state/model.ts";
import { createStatusSource } from "./status-source.ts";

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

test("guest views carry per-record states from the reconciled state", async () => {
  const dns = createMemoryDnsProvider({ ownerId: "me", zones: ["lab.example."] });
  dns.seed({ zone: "lab.example.", name: "db.lab.example.", type: "A", ttl: 60, records: ["192.0.2.1"] });
  dns.rejectWhen((rr) => (rr.name.startsWith("bad.") ? "invalid" : undefined));
  const inv: Inventory = {
    collectedAt: 0,
    complete: true,
    errors: [],
    guests: [g(100, "web", "10.0.0.10"), g(101, "db", "10.0.0.11"), g(102, "bad", "10.0.0.12")],
  };
  const store = createMemoryStore();
  const status = createStatusSource({ store, mode: "single", node: () => ({ id: "local", role: "single" }) });
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
    onCycle: (r) => status.record(r),
  });
  await rec.runCycle({ full: true }, new AbortController().signal);
  const snap = status.snapshot();
  const state = (name: string) => snap.guests.find((x) => x.name === name)?.dns[0];
  expect(state("web")?.state).toBe("in-sync");
  expect(state("db")?.state).toBe("conflict");
  expect(state("bad")?.state).toBe("failed");
  expect(state("bad")?.error).toContain("invalid");
  expect(snap.cycles[0]?.kind).toBe("full");
});

test("provider health on the page comes from the last cycle's errors", async () => {
  const { providersFrom } = await import("./status-source.ts");
  const base = {
    startedAt: 1,
    durationMs: 1,
    full: true,
    dryRun: false,
    skipped: false,
    guests: 3,
    inventoryComplete: true,
    desired: [],
    changes: { create: [], updateOld: [], updateNew: [], delete: [] },
    applied: 0,
    failed: [],
    conflicts: [],
    skips: [],
    warnings: [],
    writes: 0,
    providerRead: true,
  };
  const ok = providersFrom({ ...base, errors: [] });
  expect(ok.map((p) => `${p.name}:${p.ok}`)).toEqual(["proxmox:true", "powerdns:true"]);
  const bad = providersFrom({ ...base, errors: ["dns read: connection refused"] });
  expect(bad.find((p) => p.name === "powerdns")).toMatchObject({
    ok: false,
    detail: "dns read: connection refused",
  });
});
