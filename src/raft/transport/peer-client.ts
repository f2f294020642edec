/**
 * Sends Raft messages to peers over ConnectRPC. One queue per peer, one call in flight per peer:
 * whatever queued up while a call was out goes in the next call as one batch (many AppendEntries
 * in one RPC). A slow or dead peer only backs up its own queue (bounded; Raft resends what is
 * dropped), never the others. Snapshots go in 1 MiB chunks over InstallSnapshot. The calls are
 * binary Connect unary calls sent by the lean client (lean-client.ts) over HTTP/1.1 keep-alive
 * connections on the JavaScript thread (h1-client.ts) for http:// peers, over fetch for https://.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type InstallSnapshotRequestSchema,
  type InstallSnapshotResponseSchema,
  RaftService,
  type StepRequestSchema,
  type StepResponseSchema,
} from "../../gen/pipam/v1/raft_pb.ts";
import type { Logger } from "../../log/logger.ts";
import type { Message } from "../core/index.ts";
import { fromPb, toPb } from "./codec.ts";
import { createH1Client } from "./h1-client.ts";
import { type LeanUnary, leanUnary } from "./lean-client.ts";

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
  /** Snapshot data per InstallSnapshot call (default 1 MiB). */
  snapshotChunkBytes?: number;
  /**
   * The peer's answers returned inline in the Step response (append/heartbeat responses, votes).
   * When set, calls ask for inline answers (StepRequest.reply_inline); a peer that does not
   * support them sends its answers as its own calls, as before.
   */
  onReply?: (msgs: Message[]) => void;
}

interface PeerClient {
  step: LeanUnary<typeof StepRequestSchema, typeof StepResponseSchema>;
  installSnapshot: LeanUnary<typeof InstallSnapshotRequestSchema, typeof InstallSnapshotResponseSchema>;
}

interface Peer {
  url: string;
  client: PeerClient;
  queue: Message[];
  busy: boolean;
  /** the peer answered InstallSnapshot with "unimplemented" (an older version) */
  legacySnapshots?: boolean;
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
  const chunkBytes = opts.snapshotChunkBytes ?? 1024 * 1024;
  let stopped = false;
  const auth = { authorization: `Bearer ${opts.secret}` };
  const h1 = createH1Client();
  /**
   * Plain-HTTP peers over h1; https:// peers keep going through fetch, whose TLS setup (trust
   * store, NODE_EXTRA_CA_CERTS) is what deployments with TLS in front of the port rely on.
   */
  const viaH1 = (url: string) => (url.startsWith("http://") ? h1 : undefined);

  /** Binary Connect unary calls (the lean client: same bytes on the wire as connect-web's) */
  function makeClient(url: string): PeerClient {
    return {
      step: leanUnary(url, RaftService.method.step, auth, viaH1(url)),
      installSnapshot: leanUnary(url, RaftService.method.installSnapshot, auth, viaH1(url)),
    };
  }

  /** Snapshots go in chunks over InstallSnapshot; a peer without it (older version) gets them in Step. */
  async function sendSnapshot(id: number, p: Peer, m: Message): Promise<void> {
    const data = m.snapshot!.data;
    const header = toPb({ ...m, snapshot: { meta: m.snapshot!.meta, data: new Uint8Array(0) } });
    if (!p.legacySnapshots) {
      try {
        for (let off = 0; ; off += chunkBytes) {
          const chunk = data.subarray(off, off + chunkBytes);
          const done = off + chunk.length >= data.length;
          await p.client.installSnapshot(
            {
              from: header.from,
              to: header.to,
              term: header.term,
              meta: header.snapshot,
              offset: BigInt(off),
              chunk,
              done,
              total: BigInt(data.length),
              message: header,
            },
            { timeoutMs: Math.max(10_000, timeoutMs) },
          );
          if (done) return;
        }
      } catch (err) {
        if (!(err instanceof ConnectError && err.code === Code.Unimplemented)) throw err;
        p.legacySnapshots = true;
        opts.logger.info("raft peer has no InstallSnapshot; sending snapshots in one Step call", {
          peer: id,
        });
      }
    }
    await p.client.step({ messages: [toPb(m)] }, { timeoutMs: Math.max(30_000, timeoutMs) });
  }

  async function pump(id: number, p: Peer): Promise<void> {
    if (p.busy || stopped) return;
    p.busy = true;
    try {
      while (p.queue.length > 0 && !stopped && peers.get(id) === p) {
        const batch = p.queue;
        p.queue = [];
        const snaps = batch.filter((m) => m.type === "snap");
        const rest = snaps.length > 0 ? batch.filter((m) => m.type !== "snap") : batch;
        if (rest.length > 0) {
          try {
            const res = await p.client.step(
              { messages: rest.map(toPb), replyInline: opts.onReply !== undefined },
              { timeoutMs },
            );
            opts.onSuccess?.(id);
            if (res.messages.length > 0 && opts.onReply && !stopped) {
              try {
                opts.onReply(res.messages.map(fromPb));
              } catch (err) {
                opts.logger.warn("raft peer answer rejected", { peer: id, error: String(err) });
              }
            }
          } catch (err) {
            opts.onError?.(id, err);
            opts.logger.debug("raft peer call failed", { peer: id, error: String(err) });
            // Drop the batch: Raft retries (heartbeats, probes) by itself.
          }
        }
        for (const m of snaps) {
          try {
            await sendSnapshot(id, p, m);
            opts.onSnapshotResult?.(id, true);
            opts.onSuccess?.(id);
          } catch (err) {
            opts.onSnapshotResult?.(id, false);
            opts.onError?.(id, err);
            opts.logger.warn("raft snapshot transfer failed", { peer: id, error: String(err) });
          }
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
      h1.close();
    },
  };
}
