import type { Command } from "commander";
import { PipamError } from "../lib/errors.ts";
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
      const { planClean, applyClean } = await import("../app/clean.ts");
      const { formatPlanText, planJson } = await import("../state/summary.ts");
      const dns = dnsTarget(config, logger);
      if (!dns) throw new PipamError("config", "nothing to clean: no [dns.powerdns] configured");
      const intr = interruptSignal();
      try {
        let inventory: import("../state/model.ts").Inventory | undefined;
        if (opts.collect) {
          const { createSource } = await import("../app/daemon.ts");
          inventory = await (await createSource(config, logger)).collect(intr.signal);
        }
        const changes = await planClean(dns, inventory, intr.signal);
        await ctx.io.out(
          opts.json ? `${JSON.stringify(planJson(changes), null, 2)}\n` : formatPlanText(changes),
        );
        if (opts.dryRun || changes.delete.length === 0) return ctx.setResult(0);
        if (!opts.yes) {
          if (!process.stdin.isTTY) {
            throw new PipamError("usage", "refusing to remove records without confirmation: pass --yes");
          }
          if (!(await confirm(`remove ${changes.delete.length} rrset(s) owned by ${dns.ownerId}?`))) {
            ctx.io.err("aborted, nothing removed\n");
            return ctx.setResult(1);
          }
        }
        if (process.stderr.isTTY) ctx.io.err(`removing ${changes.delete.length} rrset(s)…\n`);
        const res = await applyClean(dns, changes, intr.signal);
        await ctx.io.out(`removed ${res.applied} rrset(s), ${res.failed.length} rejected\n`);
        for (const f of res.failed) ctx.io.err(`rejected ${f.item.name} ${f.item.type}: ${f.error}\n`);
        ctx.setResult(res.failed.length === 0 ? 0 : 1);
      } finally {
        intr.dispose();
      }
    });
}
