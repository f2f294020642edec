import { expect, test } from "bun:test";
import type { CycleReport } from "../reconcile/reconciler.ts";
import { testGuest as g, reconciledOnce } from "../testing/reconciled.ts";
import { createStatusSource } from "./status-source.ts";

test("guest views carry per-record states from the reconciled state", async () => {
  let report: CycleReport | undefined;
  const store = await reconciledOnce(
    [g(100, "web", "10.0.0.10"), g(101, "db", "10.0.0.11"), g(102, "bad", "10.0.0.12")],
    (r) => {
      report = r;
    },
  );
  const status = createStatusSource({ store, mode: "single", node: () => ({ id: "local", role: "single" }) });
  status.record(report!);
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
