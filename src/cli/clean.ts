import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { notImplemented } from "./not-implemented.ts";

export interface CleanOptions {
  collect?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

export function registerClean(program: Command, ctx: CliContext): void {
  program
    .command("clean")
    .description("remove what this pipam instance owns from DNS and NetBox (never anything else)")
    .option("--collect", "collect from Proxmox first and remove only entries whose guest is gone")
    .option("--dry-run", "print what would be removed, remove nothing")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText(
      "after",
      `
Examples:
  pipam clean --dry-run
  pipam clean --collect --yes
  pipam clean --yes`,
    )
    .action(async (_opts: CleanOptions, cmd: Command) => {
      await loadForCommand(ctx.globals(cmd), ctx.io);
      notImplemented(ctx, "clean");
    });
}
