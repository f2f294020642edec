import type { Command } from "commander";
import { adminConnection, fetchStatus } from "./admin-client.ts";
import type { CliContext } from "./context.ts";

export interface StatusOptions {
  json?: boolean;
  server?: string;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("ask the running daemon for its state: mode, role, leader, term, indexes, peers")
    .option("--json", "print as JSON")
    .option("--server <url>", "daemon address (default: from [server] listen)")
    .addHelpText(
      "after",
      `
Uses the admin API with the token from [raft] admin_token_file (or PIPAM_RAFT_ADMIN_TOKEN).

Examples:
  pipam status
  pipam status --json
  pipam status --server http://10.0.0.12:9180`,
    )
    .action(async (opts: StatusOptions, cmd: Command) => {
      const st = await fetchStatus(await adminConnection(ctx, cmd, "status", opts.server));
      const doc = {
        mode: st.mode,
        nodeId: Number(st.nodeId),
        role: st.role,
        hasLease: st.hasLease,
        leaderId: Number(st.leaderId),
        leaderUrl: st.leaderUrl || undefined,
        term: Number(st.term),
        commitIndex: Number(st.commitIndex),
        appliedIndex: Number(st.appliedIndex),
        guests: st.guests,
        conflicts: st.conflicts,
        lastCycleAt: st.lastCycleAtMs ? new Date(Number(st.lastCycleAtMs)).toISOString() : undefined,
        peers: st.peers.map((p) => ({
          id: Number(p.id),
          url: p.url,
          role: p.role,
          matchIndex: Number(p.matchIndex),
          learner: p.learner,
        })),
      };
      if (opts.json) {
        await ctx.io.out(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      const lines = [
        `mode:      ${doc.mode}`,
        `node:      ${doc.nodeId} (${doc.role}${doc.role === "leader" ? (doc.hasLease ? ", holds the quorum lease" : ", NO quorum lease: not writing") : ""})`,
        ...(doc.mode === "cluster"
          ? [
              `leader:    ${doc.leaderId || "none"}${doc.leaderUrl ? ` ${doc.leaderUrl}` : ""}`,
              `term:      ${doc.term}`,
              `commit:    ${doc.commitIndex}   applied: ${doc.appliedIndex}`,
            ]
          : []),
        `guests:    ${doc.guests}   conflicts: ${doc.conflicts}`,
        `last cycle: ${doc.lastCycleAt ?? "none yet"}`,
      ];
      if (doc.peers.length > 0) {
        lines.push("peers:");
        for (const p of doc.peers)
          lines.push(`  ${p.id}  ${p.role.padEnd(8)} ${p.url}  match ${p.matchIndex}`);
      }
      await ctx.io.out(`${lines.join("\n")}\n`);
    });
}
