import type { Command } from "commander";
import { PipamError } from "../lib/errors.ts";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";

export interface StatusOptions {
  json?: boolean;
  server?: string;
}

/** http://host:port of a listen address ("0.0.0.0:9180" is asked on loopback). */
export function serverUrl(listen: string): string {
  const m = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) return `http://${listen}`;
  let host = m[1] ?? m[2] ?? "127.0.0.1";
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return host.includes(":") ? `http://[${host}]:${m[3]}` : `http://${host}:${m[3]}`;
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
      const { config } = await loadForCommand(ctx.globals(cmd), ctx.io);
      const token = config.raft.adminToken;
      if (!token) {
        throw new PipamError(
          "config",
          "pipam status needs the admin token: set [raft] admin_token_file or PIPAM_RAFT_ADMIN_TOKEN",
        );
      }
      const { createClient } = await import("@connectrpc/connect");
      const { createConnectTransport } = await import("@connectrpc/connect-web");
      const { AdminService } = await import("../gen/pipam/v1/admin_pb.ts");
      const { bearerInterceptor } = await import("../raft/transport/auth.ts");
      const baseUrl = opts.server ?? serverUrl(config.server.listen);
      const client = createClient(
        AdminService,
        createConnectTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearerInterceptor(token)] }),
      );
      let st: Awaited<ReturnType<typeof client.getStatus>>;
      try {
        st = await client.getStatus({}, { timeoutMs: 5000 });
      } catch (err) {
        throw new PipamError(
          "unavailable",
          `cannot get status from ${baseUrl}: ${err instanceof Error ? err.message : err}`,
        );
      }
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
