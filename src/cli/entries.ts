/**
 * What the running daemon holds, through the admin API: `pipam entries` (every guest with its
 * addresses and its DNS and NetBox state, from the replicated state: any member answers the same)
 * and `pipam conflicts` (the last cycle's conflicts, on the node that ran it: the leader).
 */
import type { Command } from "commander";
import { adminCall, adminConnection } from "./admin-client.ts";
import type { CliContext } from "./context.ts";
import { addressScope } from "./output-format.ts";

interface ListOptions {
  json?: boolean;
  all?: boolean;
  server?: string;
}

const SERVER_HELP = "daemon address (default: from [server] listen)";

/** Rows as fixed-width columns (the last one unpadded). */
function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!)))
      .join("  ")
      .trimEnd();
  return `${[head, ...rows].map(line).join("\n")}\n`;
}

export function registerEntries(program: Command, ctx: CliContext): void {
  program
    .command("entries")
    .description("list the guests the running daemon holds, with their DNS and NetBox state")
    .argument("[filter]", "only guests whose name contains this, or with this VMID")
    .option("--json", "print as JSON")
    .option("--all", "table: also show loopback and link-local addresses (JSON always has them)")
    .option("--server <url>", SERVER_HELP)
    .addHelpText(
      "after",
      `
DNS state: in-sync; none (no record of it applied: none wanted, or not yet); or why a
record was not applied (rejected / conflict / policy: <why>). NetBox state: in-sync;
failed: <object>: <why>; or empty when NetBox is not configured. Any cluster member
answers (the state is replicated).

Examples:
  pipam entries
  pipam entries web --json`,
    )
    .action(async (filter: string | undefined, opts: ListOptions, cmd: Command) => {
      const conn = await adminConnection(ctx, cmd, "entries", opts.server);
      const { entries } = await adminCall("cannot list entries", conn.baseUrl, () =>
        conn.client.listEntries({ filter: filter ?? "" }, { timeoutMs: 10_000 }),
      );
      const docs = entries.map((e) => ({
        key: e.key,
        name: e.name,
        status: e.status,
        ips: e.ips,
        dns: e.dnsState,
        netbox: e.netboxState || undefined,
        error: e.error || undefined,
      }));
      if (opts.json) {
        await ctx.io.out(`${JSON.stringify(docs, null, 2)}\n`);
        return;
      }
      if (docs.length === 0) {
        await ctx.io.out(filter ? `no guest matches "${filter}"\n` : "no guests (no cycle has run yet?)\n");
        return;
      }
      const withNetbox = docs.some((d) => d.netbox !== undefined);
      const rows = docs.map((d) => [
        d.key,
        d.name,
        d.status,
        d.ips.filter((ip) => opts.all || addressScope(ip) === "global").join(",") || "-",
        ...(withNetbox ? [d.netbox ?? "-"] : []),
        d.error ? `${d.dns} (guest: ${d.error})` : d.dns,
      ]);
      const head = ["KEY", "NAME", "STATUS", "IPS", ...(withNetbox ? ["NETBOX"] : []), "DNS"];
      await ctx.io.out(table(head, rows));
    });

  program
    .command("conflicts")
    .description("list the conflicts of the daemon's last cycle (ask the leader in a cluster)")
    .option("--json", "print as JSON")
    .option("--server <url>", SERVER_HELP)
    .addHelpText(
      "after",
      `
A conflict is a name or address claimed by more than one guest (or held by a record pipam does
not own): the winner keeps it, the losers get nothing until it is resolved.

Examples:
  pipam conflicts
  pipam conflicts --json`,
    )
    .action(async (opts: ListOptions, cmd: Command) => {
      const conn = await adminConnection(ctx, cmd, "conflicts", opts.server);
      const { conflicts } = await adminCall("cannot list conflicts", conn.baseUrl, () =>
        conn.client.listConflicts({}, { timeoutMs: 10_000 }),
      );
      const docs = conflicts.map((c) => ({
        kind: c.kind,
        subject: c.subject,
        winner: c.winner || undefined,
        losers: c.losers,
        message: c.message,
      }));
      if (opts.json) {
        await ctx.io.out(`${JSON.stringify(docs, null, 2)}\n`);
        return;
      }
      if (docs.length === 0) {
        await ctx.io.out("no conflicts\n");
        return;
      }
      await ctx.io.out(
        table(
          ["KIND", "SUBJECT", "WINNER", "MESSAGE"],
          docs.map((c) => [c.kind, c.subject, c.winner ?? "-", c.message]),
        ),
      );
    });
}
