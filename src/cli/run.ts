import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { notImplemented } from "./not-implemented.ts";

export interface RunOptions {
  once?: boolean;
  dryRun?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description(
      "run the daemon: collect, plan and apply every collect_interval (single node or Raft cluster)",
    )
    .option("--once", "run one cycle and exit")
    .option("--dry-run", "collect and plan, log the changes, never write to DNS or NetBox")
    .addHelpText(
      "after",
      `
Examples:
  pipam run
  pipam -c ./config.toml --log-format json run
  pipam run --once --dry-run --log-level debug`,
    )
    .action(async (_opts: RunOptions, cmd: Command) => {
      await loadForCommand(ctx.globals(cmd), ctx.io);
      notImplemented(ctx, "run");
    });
}
