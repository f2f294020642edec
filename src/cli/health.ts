/**
 * `pipam health`: runs every provider's checks and prints ✓/✗ lines with hints.
 * A probe is `(signal) => Promise<HealthCheck[]>`; Proxmox probes come from the collector,
 * PowerDNS and NetBox plug in the same way (see probesFor).
 */
import type { Command } from "commander";
import type { Config } from "../config/index.ts";
import { errorMessage } from "../lib/errors.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import { loadCollect } from "./collect-module.ts";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";
import { interruptSignal } from "./signal.ts";

export type HealthProbe = { name: string; run: (signal: AbortSignal) => Promise<HealthCheck[]> };

/** Runs probes concurrently; a probe that throws becomes one failed check (never lost). */
export async function runProbes(probes: readonly HealthProbe[], signal: AbortSignal): Promise<HealthCheck[]> {
  const results = await Promise.all(
    probes.map(async (p) => {
      try {
        return await p.run(signal);
      } catch (err) {
        return [{ name: p.name, ok: false, detail: errorMessage(err), hint: "the check itself failed" }];
      }
    }),
  );
  return results.flat();
}

export function formatChecks(checks: readonly HealthCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? "✓" : "✗"} ${c.name}${c.detail ? `: ${c.detail}` : ""}`);
    if (!c.ok && c.hint) lines.push(`    hint: ${c.hint}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(
    "",
    failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Every probe the config asks for: each Proxmox cluster, then PowerDNS when [dns] is set.
 * A new provider adds one entry here (NetBox: once its provider exists).
 */
export async function probesFor(config: Config, logger: Logger): Promise<HealthProbe[]> {
  const { checkProxmox } = await loadCollect();
  const { toProxmoxEndpoints } = await import("../config/index.ts");
  const probes: HealthProbe[] = toProxmoxEndpoints(config).map((ep) => ({
    name: `proxmox[${ep.name}]`,
    run: (signal: AbortSignal) => checkProxmox(ep, signal),
  }));
  if (config.dns?.powerdns) {
    const { dnsTarget } = await import("../app/dns.ts");
    const dns = dnsTarget(config, logger);
    if (dns) probes.push({ name: "powerdns", run: (signal) => dns.provider.health(signal) });
  }
  if (config.ipam?.netbox) {
    const { netboxProvider } = await import("../app/ipam.ts");
    const nb = netboxProvider(config, logger);
    if (nb) probes.push({ name: "netbox", run: (signal) => nb.health(signal) });
  }
  return probes;
}

export function registerHealth(program: Command, ctx: CliContext): void {
  program
    .command("health")
    .description("check that every configured API is reachable, trusted, authorised and usable")
    .option("--json", "print the checks as JSON")
    .addHelpText(
      "after",
      `
Exits 0 when every check passes, 1 otherwise.

Examples:
  pipam health
  pipam -c /etc/pipam/config.toml health --json`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { config, logger, path } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const probes = await probesFor(config, logger);
      const intr = interruptSignal();
      try {
        const n = config.warnings.length;
        const checks = [
          {
            name: "config",
            ok: true,
            detail: `${path} is valid${n ? ` (${n} warning${n === 1 ? "" : "s"}, logged above)` : ""}`,
          },
          ...(await runProbes(probes, intr.signal)),
        ];
        await ctx.io.out(opts.json ? `${JSON.stringify({ checks }, null, 2)}\n` : formatChecks(checks));
        ctx.setResult(checks.every((c) => c.ok) ? 0 : 1);
      } finally {
        intr.dispose();
      }
    });
}
