/**
 * Sends Raft messages to peers over ConnectRPC. One queue per peer, one call in flight per peer:
 * whatever queued up while a call was out goes in the next call as one batch (many AppendEntries
 * in one RPC). A slow or dead peer only backs up its own queue (bounded; Raft resends what is
 * dropped), never the others.
 */
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import type { Logger } from "../../log/logger.ts";
import type { Message } from "../core/index.ts";
import { bearerInterceptor } from "./auth.ts";
import { fromPb, toPb } from "./codec.ts";

export interface PeerSenderOptions {
  secret: string;
  logger: Logger;
  /** Per-call timeout (default 2000 ms; a snapshot call gets 30 s). */
  timeoutMs?: number;
  /** Messages kept per peer while a call is out (default 10,000; older ones are dropped). */
  maxQueue?: number;
  onSnapshotResult?: (to: number, ok: boolean) => void;
  /** Called with the peer id after a failed call (for status: unreachable). */
  onError?: (to: number, err: unknown) => void;
  onSuccess?: (to: number) => void;
  /**
   * The peer's answers returned inline in the Step response (append/heartbeat responses, votes).
   * When set, calls ask for inline answers (StepRequest.reply_inline); a peer that does not
   * support them sends its answers as its own calls, as before.
   */
  onReply?: (msgs: Message[]) => void;
}

interface Peer {
  url: string;
  client: Client<typeof RaftService>;
  queue: Message[];
  busy: boolean;
}

export interface PeerSender {
  setPeer(id: number, url: string): void;
  removePeer(id: number): void;
  send(msgs: Message[]): void;
  peers(): Map<number, string>;
  stop(): void;
}

export function createPeerSender(opts: PeerSenderOptions): PeerSender {
  const peers = new Map<number, Peer>();
  const timeoutMs = opts.timeoutMs ?? 2000;
  const maxQueue = opts.maxQueue ?? 10_000;
  let stopped = false;

  function makeClient(url: string) {
    const transport = createConnectTransport({
      baseUrl: url,
      useBinaryFormat: true,
      interceptors: [bearerInterceptor(opts.secret)],
    });
    return createClient(RaftService, transport);
  }

  async function pump(id: number, p: Peer): Promise<void> {
    if (p.busy || stopped) return;
    p.busy = true;
    try {
      while (p.queue.length > 0 && !stopped && peers.get(id) === p) {
        const batch = p.queue;
        p.queue = [];
        const snaps = batch.filter((m) => m.type === "snap");
        try {
          const res = await p.client.step(
            { messages: batch.map(toPb), replyInline: opts.onReply !== undefined },
            { timeoutMs: snaps.length > 0 ? Math.max(30_000, timeoutMs) : timeoutMs },
          );
          for (const _ of snaps) opts.onSnapshotResult?.(id, true);
          opts.onSuccess?.(id);
          if (res.messages.length > 0 && opts.onReply && !stopped) {
            try {
              opts.onReply(res.messages.map(fromPb));
            } catch (err) {
              opts.logger.warn("raft peer answer rejected", { peer: id, error: String(err) });
            }
          }
        } catch (err) {
          for (const _ of snaps) opts.onSnapshotResult?.(id, false);
          opts.onError?.(id, err);
          opts.logger.debug("raft peer call failed", { peer: id, error: String(err) });
          // Drop the batch: Raft retries (heartbeats, probes) by itself.
        }
      }
    } finally {
      p.busy = false;
    }
  }

  return {
    setPeer(id, url) {
      const old = peers.get(id);
      if (old && old.url === url) return;
      peers.set(id, { url, client: makeClient(url), queue: [], busy: false });
    },
    removePeer(id) {
      peers.delete(id);
    },
    send(msgs) {
      for (const m of msgs) {
        const p = peers.get(m.to);
        if (!p) continue;
        p.queue.push(m);
        if (p.queue.length > maxQueue) p.queue.splice(0, p.queue.length - maxQueue);
      }
      for (const [id, p] of peers) if (p.queue.length > 0) void pump(id, p);
    },
    peers: () => new Map([...peers].map(([id, p]) => [id, p.url])),
    stop() {
      stopped = true;
    },
  };
}
