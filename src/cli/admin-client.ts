/**
 * The CLI's way to the running daemon: the admin API (AdminService) with the admin token from the
 * config, at --server or the address of [server] listen. Writes that only the leader can make
 * (membership, leadership transfer) go to the leader: the node asked first names it.
 */
import type { Client } from "@connectrpc/connect";
import type { Command } from "commander";
import type { AdminService, GetStatusResponse } from "../gen/pipam/v1/admin_pb.ts";
import { PipamError } from "../lib/errors.ts";
import type { CliContext } from "./context.ts";
import { loadForCommand } from "./context.ts";

export type AdminClient = Client<typeof AdminService>;

export interface AdminConnection {
  /** The node asked first (--server, else [server] listen). */
  baseUrl: string;
  client: AdminClient;
  /** A client for another node's URL, with the same token. */
  connect(url: string): AdminClient;
}

/** http://host:port of a listen address ("0.0.0.0:9180" is asked on loopback). */
function serverUrl(listen: string): string {
  const m = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) return `http://${listen}`;
  let host = m[1] ?? m[2] ?? "127.0.0.1";
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return host.includes(":") ? `http://[${host}]:${m[3]}` : `http://${host}:${m[3]}`;
}

/** Loads the config and builds an admin client; a config error when no admin token is set. */
export async function adminConnection(
  ctx: CliContext,
  cmd: Command,
  command: string,
  server?: string,
): Promise<AdminConnection> {
  const { config } = await loadForCommand(ctx.globals(cmd), ctx.io);
  const token = config.raft.adminToken;
  if (!token) {
    throw new PipamError(
      "config",
      `pipam ${command} needs the admin token: set [raft] admin_token_file or PIPAM_RAFT_ADMIN_TOKEN`,
    );
  }
  const { createClient } = await import("@connectrpc/connect");
  const { createConnectTransport } = await import("@connectrpc/connect-web");
  const { AdminService } = await import("../gen/pipam/v1/admin_pb.ts");
  const { bearerInterceptor } = await import("../raft/transport/auth.ts");
  const connect = (baseUrl: string) =>
    createClient(
      AdminService,
      createConnectTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearerInterceptor(token)] }),
    );
  const baseUrl = server ?? serverUrl(config.server.listen);
  return { baseUrl, client: connect(baseUrl), connect };
}

/** One admin call; its error becomes "what failed at where: why" (ConnectError messages carry the code). */
export async function adminCall<T>(what: string, url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // the message already carries the reason: no `cause`, or the CLI would print it twice
    throw new PipamError("unavailable", `${what} at ${url}: ${why}`);
  }
}

export function fetchStatus(conn: AdminConnection): Promise<GetStatusResponse> {
  return adminCall("cannot get status", conn.baseUrl, () => conn.client.getStatus({}, { timeoutMs: 5000 }));
}

export interface LeaderTarget {
  client: AdminClient;
  url: string;
}

/**
 * The leader as the node asked first sees it: that node itself, or the leader it names (a line
 * on stderr says so). Errors: single-node mode, no leader known (an election is running).
 */
export async function leaderTarget(
  conn: AdminConnection,
  say: (line: string) => void,
): Promise<LeaderTarget> {
  const st = await fetchStatus(conn);
  if (st.mode !== "cluster") {
    throw new PipamError(
      "rejected",
      `${conn.baseUrl} runs as a single node: there is no Raft cluster to change`,
    );
  }
  if (st.role === "leader") return { client: conn.client, url: conn.baseUrl };
  const leader = Number(st.leaderId);
  if (leader === 0) {
    throw new PipamError(
      "unavailable",
      `node ${st.nodeId} at ${conn.baseUrl} knows no leader right now (an election is running, or it cannot reach a majority); try again in a few seconds`,
      { transient: true },
    );
  }
  if (!st.leaderUrl) {
    throw new PipamError(
      "unavailable",
      `node ${st.nodeId} follows node ${leader} but has no URL for it; run the command with --server <leader URL>`,
    );
  }
  say(`node ${st.nodeId} is a follower; asking the leader, node ${leader} at ${st.leaderUrl}`);
  return { client: conn.connect(st.leaderUrl), url: st.leaderUrl };
}
