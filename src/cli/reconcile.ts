import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { interruptSignal } from "./signal.ts";

export interface ReconcileOptions {
  dryRun?: boolean;
  json?: boolean;
}

export function registerReconcile(program: Command, ctx: CliContext): void {
  program
    .command("reconcile")
    .description("run one full cycle now: collect, plan and apply to DNS and NetBox, then exit")
    .option("--dry-run", "print the planned changes without applying them")
    .option("--json", "print the changes as JSON")
    .addHelpText(
      "after",
      `
Exits 0 when the cycle had no errors, 1 otherwise (conflicts are reported, not errors).

Examples:
  pipam reconcile --dry-run
  pipam reconcile --dry-run --json | jq '.create'
  pipam reconcile`,
    )
    .action(async (opts: ReconcileOptions, cmd: Command) => {
      const { config, logger } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const { createSource } = await import("../app/daemon.ts");
      const { dnsTarget } = await import("../app/dns.ts");
      const { ipamTarget } = await import("../app/ipam.ts");
      const { createReconciler } = await import("../reconcile/reconciler.ts");
      const { createMemoryStore } = await import("../reconcile/store.ts");
      const { formatPlanText, planJson } = await import("../state/summary.ts");
      const { systemClock } = await import("../lib/clock.ts");
      const dns = dnsTarget(config, logger);
      const reconciler = createReconciler({
        source: await createSource(config, logger),
        dns,
        ipam: ipamTarget(config, logger),
        store: createMemoryStore(),
        clock: systemClock,
        logger,
      });
      const intr = interruptSignal();
      try {
        const r = await reconciler.runCycle({ full: true, dryRun: opts.dryRun }, intr.signal);
        const extras = { conflicts: r.conflicts };
        // A plan is only known when the provider was read; never show "no changes" otherwise.
        const dnsKnown = dns !== undefined && r.providerRead;
        const netboxKnown = r.ipam?.changes !== undefined;
        const rejected = r.failed.map((f) => ({ name: f.item.name, type: f.item.type, error: f.error }));
        if (opts.json) {
          const doc = {
            ...(dnsKnown ? planJson(r.changes, extras) : { dns: null, conflicts: r.conflicts }),
            netbox: netboxKnown ? r.ipam?.changes : null,
            dryRun: r.dryRun,
            applied: r.applied,
            failed: rejected,
            errors: r.errors,
            warnings: r.warnings,
          };
          await ctx.io.out(`${JSON.stringify(doc, null, 2)}\n`);
        } else {
          if (dnsKnown) await ctx.io.out(formatPlanText(r.changes, extras));
          else if (dns)
            await ctx.io.out("DNS plan: unknown — PowerDNS (or Proxmox) could not be read, see the errors\n");
          if (r.ipam?.changes) {
            const c = r.ipam.changes;
            const n = (x: { create: unknown[]; updateNew: unknown[]; delete: unknown[] }) =>
              `+${x.create.length} ~${x.updateNew.length} -${x.delete.length}`;
            await ctx.io.out(
              `netbox: vms ${n(c.vms)}, interfaces ${n(c.interfaces)}, macs ${n(c.macs)}, ips ${n(c.ips)}\n`,
            );
          } else if (r.ipam) {
            await ctx.io.out(
              "NetBox plan: unknown — NetBox (or Proxmox) could not be read, see the errors\n",
            );
          }
          if (!r.dryRun && (dnsKnown || netboxKnown)) {
            await ctx.io.out(`applied ${r.applied} change(s), ${r.failed.length} rejected\n`);
          }
          for (const e of r.errors) ctx.io.err(`error: ${e}\n`);
          for (const w of r.warnings) ctx.io.err(`warning: ${w}\n`);
        }
        ctx.setResult(r.errors.length === 0 ? 0 : 1);
      } finally {
        intr.dispose();
      }
    });
}
