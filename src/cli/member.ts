/**
 * Cluster membership and leadership from the command line, through the admin API of a running
 * node (etcdctl's `member` and `move-leader`): list, add (as a learner, promoted to voter once
 * it has caught up), remove; move the leadership to another voter. Any node can be asked; the
 * writes go to the leader it names.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { ADD_MEMBER_MARGIN_MS } from "../app/admin-limits.ts";
import { parseDuration } from "../config/duration.ts";
import { PipamError } from "../lib/errors.ts";
import {
  type AdminClient,
  type AdminConnection,
  adminCall,
  adminConnection,
  fetchStatus,
  leaderTarget,
} from "./admin-client.ts";
import type { CliContext } from "./context.ts";

interface ServerOption {
  server?: string;
}

function nodeId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a node id (a positive integer), got "${value}"`);
  }
  return n;
}

function peerUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected the node's URL, e.g. http://10.0.0.14:9180, got "${value}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${value}"`);
  }
  if (u.pathname !== "/" || u.search || u.hash || u.username || u.password) {
    throw new InvalidArgumentError(
      `expected scheme://host:port only (no path, query or user), got "${value}"`,
    );
  }
  return `${u.protocol}//${u.host}`;
}

function waitMs(value: string): number {
  const d = parseDuration(value, 1000);
  if (!d.ok) throw new InvalidArgumentError(d.error);
  if (d.ms < 1000 || d.ms > 3_600_000) throw new InvalidArgumentError("must be between 1s and 1h");
  return d.ms;
}

const SERVER_HELP = "node to ask (default: from [server] listen); writes go to the leader it names";

export function registerMember(program: Command, ctx: CliContext): void {
  const say = (line: string) => ctx.io.err(`${line}\n`);
  const connect = (cmd: Command, command: string, opts: ServerOption): Promise<AdminConnection> =>
    adminConnection(ctx, cmd, command, opts.server);
  /** Runs one write on the leader (found through the node asked) and prints its answer. */
  const onLeader = async (
    cmd: Command,
    command: string,
    opts: ServerOption,
    what: string,
    call: (client: AdminClient) => Promise<{ message: string }>,
  ) => {
    const target = await leaderTarget(await connect(cmd, command, opts), say);
    const { message } = await adminCall(what, target.url, () => call(target.client));
    await ctx.io.out(`${message}\n`);
  };

  const member = program
    .command("member")
    .description("list, add or remove cluster members (through the admin API of a running node)")
    .addHelpText(
      "after",
      `
Uses the admin API with the token from [raft] admin_token_file (or PIPAM_RAFT_ADMIN_TOKEN).

Adding a node: give it the same config as the others (its own node_id, data_dir, [server] listen;
the same secret_file and [raft.peers] with itself added, and join = true in [raft]), start it with
an empty data_dir, then run \`pipam member add <id> <url>\` on any member. It joins as a learner, receives the log (or a
snapshot), and becomes a voter once it has caught up.

Examples:
  pipam member list
  pipam member add 4 http://10.0.0.14:9180
  pipam member remove 2`,
    );

  member
    .command("list")
    .description("every member with its role, URL and replication progress")
    .option("--json", "print as JSON")
    .option("--server <url>", SERVER_HELP)
    .action(async (opts: ServerOption & { json?: boolean }, cmd: Command) => {
      const conn = await connect(cmd, "member list", opts);
      const st = await fetchStatus(conn);
      if (st.mode !== "cluster") {
        throw new PipamError("rejected", `${conn.baseUrl} runs as a single node: it has no cluster members`);
      }
      const rows = st.peers.map((p) => ({
        id: Number(p.id),
        role: p.role,
        url: p.url,
        matchIndex: Number(p.matchIndex),
      }));
      if (opts.json) {
        await ctx.io.out(`${JSON.stringify({ leaderId: Number(st.leaderId), members: rows }, null, 2)}\n`);
        return;
      }
      const lines = ["ID  ROLE     MATCH     URL"];
      for (const r of rows)
        lines.push(
          `${String(r.id).padEnd(3)} ${r.role.padEnd(8)} ${String(r.matchIndex).padEnd(9)} ${r.url}`,
        );
      if (st.role !== "leader")
        lines.push(
          `(asked node ${st.nodeId}, a follower: MATCH is only known on the leader, node ${st.leaderId})`,
        );
      await ctx.io.out(`${lines.join("\n")}\n`);
    });

  member
    .command("add")
    .description("add a node: it joins as a learner and becomes a voter once it has caught up")
    .argument("<id>", "the new node's [raft] node_id", nodeId)
    .argument("<url>", "the URL the other members reach it at (its [server] listen)", peerUrl)
    .option("--wait <duration>", "how long the new node may take to catch up", waitMs, 60_000)
    .option("--server <url>", SERVER_HELP)
    .action(async (id: number, url: string, opts: ServerOption & { wait: number }, cmd: Command) => {
      await onLeader(cmd, "member add", opts, `add member ${id}`, (c) => {
        say(
          `adding node ${id} at ${url}; waiting up to ${Math.round(opts.wait / 1000)} s for it to catch up`,
        );
        return c.addMember({ nodeId: BigInt(id), url }, { timeoutMs: opts.wait + ADD_MEMBER_MARGIN_MS });
      });
    });

  member
    .command("remove")
    .description("remove a node from the cluster (move the leadership away first to remove the leader)")
    .argument("<id>", "the node's [raft] node_id", nodeId)
    .option("--server <url>", SERVER_HELP)
    .action(async (id: number, opts: ServerOption, cmd: Command) => {
      await onLeader(cmd, "member remove", opts, `remove member ${id}`, (c) =>
        c.removeMember({ nodeId: BigInt(id) }, { timeoutMs: 15_000 }),
      );
    });

  program
    .command("move-leader")
    .description("transfer the Raft leadership to another voter")
    .argument("<id>", "the voter's [raft] node_id", nodeId)
    .option("--server <url>", SERVER_HELP)
    .addHelpText(
      "after",
      `
The leader stops taking proposals, brings the target up to date and tells it to start an election
at once; the command returns when the target leads (or fails after 5 s).

Examples:
  pipam move-leader 2`,
    )
    .action(async (id: number, opts: ServerOption, cmd: Command) => {
      await onLeader(cmd, "move-leader", opts, `move leader to ${id}`, (c) =>
        c.transferLeadership({ toNodeId: BigInt(id) }, { timeoutMs: 10_000 }),
      );
    });
}
