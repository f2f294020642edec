import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { versionInfo } from "./version.ts";

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
    .option("--once", "run one full cycle and exit (exit 1 if it had errors)")
    .option("--dry-run", "collect and plan, log the changes, never write to DNS or NetBox")
    .addHelpText(
      "after",
      `
Stops cleanly on SIGTERM or SIGINT. The status page, /healthz, /readyz and /metrics are served
on [server] listen (default 127.0.0.1:9180).

Examples:
  pipam run
  pipam -c ./config.toml --log-format json run
  pipam run --once --dry-run --log-level debug`,
    )
    .action(async (opts: RunOptions, cmd: Command) => {
      const { config, logger } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const { runDaemon } = await import("../app/daemon.ts");
      const ac = new AbortController();
      const stop = (sig: string) => {
        logger.info("stopping", { signal: sig });
        ac.abort(new Error(sig));
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      try {
        const code = await runDaemon(
          {
            config,
            logger,
            once: opts.once,
            dryRun: opts.dryRun,
            version: versionInfo().version,
            commit: versionInfo().commit,
          },
          ac.signal,
        );
        ctx.setResult(code);
      } finally {
        process.off("SIGTERM", stop);
        process.off("SIGINT", stop);
      }
    });
}
