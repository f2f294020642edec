import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { notImplemented } from "./not-implemented.ts";

export interface StatusOptions {
  json?: boolean;
  server?: string;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("ask the running daemon for its state: cluster, leader, last cycles, conflicts, errors")
    .option("--json", "print as JSON")
    .option("--server <url>", "daemon address (default: from [server] listen)")
    .addHelpText(
      "after",
      `
Examples:
  pipam status
  pipam status --json
  pipam status --server http://10.0.0.12:9180`,
    )
    .action(async (_opts: StatusOptions, cmd: Command) => {
      await loadForCommand(ctx.globals(cmd), ctx.io);
      notImplemented(ctx, "status");
    });
}
