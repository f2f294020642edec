/** Cluster mode (raft.node_id > 0). */
import { PipamError } from "../lib/errors.ts";
import type { DaemonOptions } from "./daemon.ts";

export async function runClusterNode(_opts: DaemonOptions, _signal: AbortSignal): Promise<number> {
  throw new PipamError("config", "raft.node_id is set but cluster mode is not available in this build yet");
}
