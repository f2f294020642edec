/** Records a cycle report into the Prometheus metrics. */
import type { CycleReport } from "../reconcile/reconciler.ts";
import type { Metrics } from "../server/metrics.ts";
import type { Guest } from "../state/model.ts";

export function recordCycle(m: Metrics, r: CycleReport, guests: Iterable<Guest>): void {
  m.cycleDuration.observe(
    { kind: r.full ? "full" : r.providerRead ? "reconcile" : "collect" },
    r.durationMs / 1000,
  );
  const failed = new Set(r.failed.map((f) => `${f.item.name}|${f.item.type}`));
  if (!r.dryRun && !r.skipped && r.errors.every((e) => !e.startsWith("dns apply"))) {
    const ops = [
      ["create", r.changes.create],
      ["update", r.changes.updateNew],
      ["delete", r.changes.delete],
    ] as const;
    for (const [op, list] of ops) {
      for (const rr of list) {
        if (!failed.has(`${rr.name}|${rr.type}`))
          m.changesApplied.inc({ provider: "powerdns", type: rr.type, op });
      }
    }
  }
  for (const e of r.errors) {
    const stage = e.startsWith("collect") ? "collect" : e.startsWith("dns read") ? "read" : "apply";
    m.errors.inc({ provider: stage === "collect" ? "proxmox" : "powerdns", stage });
  }
  m.conflicts.reset();
  for (const c of r.conflicts) m.conflicts.inc({ kind: c.kind });
  m.guests.reset();
  for (const g of guests) m.guests.inc({ cluster: g.cluster });
}
