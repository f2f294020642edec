import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { notImplemented } from "./not-implemented.ts";

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
Examples:
  pipam reconcile --dry-run
  pipam reconcile --dry-run --json | jq '.dns.create'
  pipam reconcile`,
    )
    .action(async (_opts: ReconcileOptions, cmd: Command) => {
      await loadForCommand(ctx.globals(cmd), ctx.io);
      notImplemented(ctx, "reconcile");
    });
}
