import type { Command } from "commander";
import { loadCollect } from "./collect-module.ts";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { interruptSignal } from "./signal.ts";

export function registerOutput(program: Command, ctx: CliContext): void {
  program
    .command("output")
    .description("collect every guest from Proxmox once and print names, IPs and where they came from")
    .option("--json", "print the stable JSON document pipam.output/v1 (docs/output-schema.md)")
    .option("--all", "table: also show loopback and link-local addresses (JSON always has them)")
    .addHelpText(
      "after",
      `
Exits 1 when a guest list call failed (the output is then incomplete); guests whose details
failed are listed with their error and do not change the exit code.

Examples:
  pipam output
  pipam -c ./config.toml output --json | jq '.guests[] | {name, ips: [.addresses[].ip]}'`,
    )
    .action(async (opts: { json?: boolean; all?: boolean }, cmd: Command) => {
      const { config, logger } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const [{ createProxmoxSource }, { toProxmoxEndpoints }, fmt] = await Promise.all([
        loadCollect(),
        import("../config/index.ts"),
        import("./output-format.ts"),
      ]);
      const endpoints = toProxmoxEndpoints(config);
      const source = createProxmoxSource(endpoints, { logger });
      const intr = interruptSignal();
      try {
        const inv = await source.collect(intr.signal);
        const doc = fmt.toOutputDocument(
          inv,
          endpoints.map((e) => e.name),
        );
        await ctx.io.out(
          opts.json ? `${JSON.stringify(doc, null, 2)}\n` : fmt.formatTable(doc, { all: opts.all }),
        );
        ctx.setResult(inv.complete ? 0 : 1);
      } finally {
        intr.dispose();
      }
    });
}
