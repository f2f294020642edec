import type { Command } from "commander";
import { PipamError } from "../lib/errors.ts";
import type { RRset } from "../state/model.ts";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { interruptSignal } from "./signal.ts";

export interface CleanOptions {
  collect?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  process.stderr.write(`${question} [y/N] `);
  for await (const line of console) return /^y(es)?$/i.test(line.trim());
  return false;
}

export function registerClean(program: Command, ctx: CliContext): void {
  program
    .command("clean")
    .description("remove what this pipam instance owns from DNS and NetBox (never anything else)")
    .option("--collect", "collect from Proxmox first and remove only the records of the guests found")
    .option("--dry-run", "print what would be removed, remove nothing")
    .option("--json", "print the removals as JSON")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText(
      "after",
      `
Only records carrying this instance's owner id ([dns] owner_id) are removed; records made by
hand or by another tool are never touched. On a terminal, asks before removing unless --yes.

Examples:
  pipam clean --dry-run
  pipam clean --collect --yes
  pipam clean --yes`,
    )
    .action(async (opts: CleanOptions, cmd: Command) => {
      const { config, logger } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const { dnsTarget } = await import("../app/dns.ts");
      const { planClean, applyClean, planNetboxClean, applyNetboxClean } = await import("../app/clean.ts");
      const { emptyChanges } = await import("../state/model.ts");
      const { formatPlanText, planJson } = await import("../state/summary.ts");
      const { netboxProvider } = await import("../app/ipam.ts");
      const dns = dnsTarget(config, logger);
      const netbox = netboxProvider(config, logger);
      if (!dns && !netbox)
        throw new PipamError("config", "nothing to clean: no [dns.powerdns] or [ipam.netbox] configured");
      const intr = interruptSignal();
      try {
        let inventory: import("../state/model.ts").Inventory | undefined;
        if (opts.collect) {
          const { createSource } = await import("../app/daemon.ts");
          inventory = await (await createSource(config, logger)).collect(intr.signal);
        }
        const changes = dns ? await planClean(dns, inventory, intr.signal) : emptyChanges<RRset>();
        const nbPlan = netbox
          ? await planNetboxClean(netbox, config.ipam?.netbox?.tag ?? "pipam", inventory, intr.signal)
          : undefined;
        if (opts.json) {
          await ctx.io.out(
            `${JSON.stringify({ ...planJson(changes), netbox: nbPlan && { vms: nbPlan.vms.map((v) => v.name), all: nbPlan.all } }, null, 2)}\n`,
          );
        } else {
          if (dns) await ctx.io.out(formatPlanText(changes));
          if (nbPlan) {
            await ctx.io.out(
              nbPlan.all
                ? `netbox: every object tagged "${nbPlan.tag}" (${nbPlan.vms.length} virtual machine(s) with their interfaces, MACs and IPs)\n`
                : `netbox: ${nbPlan.vms.length} virtual machine(s): ${nbPlan.vms.map((v) => v.name).join(", ")}\n`,
            );
          }
        }
        const total = changes.delete.length + (nbPlan?.vms.length ?? 0);
        if (opts.dryRun || total === 0) return ctx.setResult(0);
        if (!opts.yes) {
          if (!process.stdin.isTTY) {
            throw new PipamError("usage", "refusing to remove anything without confirmation: pass --yes");
          }
          if (
            !(await confirm(
              `remove ${changes.delete.length} rrset(s) and ${nbPlan?.vms.length ?? 0} NetBox VM(s)?`,
            ))
          ) {
            ctx.io.err("aborted, nothing removed\n");
            return ctx.setResult(1);
          }
        }
        let rejected = 0;
        if (dns && changes.delete.length > 0) {
          if (process.stderr.isTTY) ctx.io.err(`removing ${changes.delete.length} rrset(s)…\n`);
          const res = await applyClean(dns, changes, intr.signal);
          await ctx.io.out(`removed ${res.applied} rrset(s), ${res.failed.length} rejected\n`);
          for (const f of res.failed) ctx.io.err(`rejected ${f.item.name} ${f.item.type}: ${f.error}\n`);
          rejected += res.failed.length;
        }
        if (netbox && nbPlan) {
          if (process.stderr.isTTY) ctx.io.err("removing NetBox objects…\n");
          const res = await applyNetboxClean(netbox, nbPlan, intr.signal);
          await ctx.io.out(`netbox: removed ${res.applied} object(s), ${res.failed.length} rejected\n`);
          for (const f of res.failed)
            ctx.io.err(`netbox rejected ${f.item.kind} ${f.item.name}: ${f.error}\n`);
          rejected += res.failed.length;
        }
        ctx.setResult(rejected === 0 ? 0 : 1);
      } finally {
        intr.dispose();
      }
    });
}
