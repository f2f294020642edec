/**
 * The RaftService implementation: authenticates the peer, decodes, hands messages to the node.
 * Snapshots arrive in chunks (InstallSnapshot), are assembled per sending peer and stepped whole.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { RaftService, StepRequest, StepResponseSchema } from "../../gen/pipam/v1/raft_pb.ts";
import type { Message } from "../core/index.ts";
import { checkBearer } from "./auth.ts";
import { fromPb, toPb } from "./codec.ts";

export interface RaftStepTarget {
  step(msgs: Message[]): void;
  /** Steps and processes at once; returns the messages for `from` (see RaftNode.stepAndReply). */
  stepAndReply?(msgs: Message[], from: number): Message[];
}

function stepper(t: RaftStepTarget) {
  return (req: StepRequest): MessageInitShape<typeof StepResponseSchema> => {
    const msgs = req.messages.map(fromPb);
    const from = msgs[0]?.from ?? 0;
    // Inline answers only for a batch from one peer, and only when the caller asks for them.
    if (req.replyInline && t.stepAndReply && from !== 0 && msgs.every((m) => m.from === from)) {
      return { messages: t.stepAndReply(msgs, from).map(toPb) };
    }
    t.step(msgs);
    return {};
  };
}

export interface RaftServiceOptions {
  /** Largest snapshot accepted over InstallSnapshot (default 1 GiB). */
  maxSnapshotBytes?: number;
  /** An unfinished transfer is dropped after this long without a chunk (default 60 s). */
  staleMs?: number;
  now?: () => number;
}

interface Transfer {
  term: number;
  index: number;
  total: number;
  buf: Uint8Array;
  received: number;
  at: number;
}

export function raftServiceImpl(
  target: RaftStepTarget | ((msgs: Message[]) => void),
  secret: string | undefined,
  opts: RaftServiceOptions = {},
): Partial<ServiceImpl<typeof RaftService>> {
  const t: RaftStepTarget = typeof target === "function" ? { step: target } : target;
  const step = stepper(t);
  const maxBytes = opts.maxSnapshotBytes ?? 1024 * 1024 * 1024;
  const staleMs = opts.staleMs ?? 60_000;
  const now = opts.now ?? Date.now;
  /** Unfinished snapshot transfers by sending peer. */
  const transfers = new Map<number, Transfer>();
  return {
    async step(req, ctx) {
      checkBearer(ctx.requestHeader.get("authorization"), secret, "raft peer");
      return step(req);
    },
    async installSnapshot(req, ctx) {
      checkBearer(ctx.requestHeader.get("authorization"), secret, "raft peer");
      for (const [peer, tr] of transfers) if (now() - tr.at > staleMs) transfers.delete(peer);
      const bad = (why: string, code = Code.InvalidArgument) =>
        new ConnectError(`raft snapshot: ${why}`, code);
      if (req.message?.type !== "snap" || !req.message.snapshot) {
        throw bad("chunk without its snap message");
      }
      const m = fromPb(req.message);
      const meta = m.snapshot!.meta;
      const total = Number(req.total);
      const offset = Number(req.offset);
      if (total > maxBytes)
        throw bad(`${total} bytes is over the limit of ${maxBytes}`, Code.ResourceExhausted);
      let tr = transfers.get(m.from);
      if (offset === 0) {
        tr = { term: m.term, index: meta.index, total, buf: new Uint8Array(total), received: 0, at: now() };
        transfers.set(m.from, tr);
      }
      if (
        !tr ||
        tr.term !== m.term ||
        tr.index !== meta.index ||
        tr.total !== total ||
        tr.received !== offset
      ) {
        transfers.delete(m.from);
        throw bad(
          `chunk at ${offset} does not continue a transfer from ${m.from} (have ${tr?.received ?? 0} bytes); start again at 0`,
          Code.FailedPrecondition,
        );
      }
      if (offset + req.chunk.length > total) {
        transfers.delete(m.from);
        throw bad(`chunk at ${offset} of ${req.chunk.length} bytes runs past the total of ${total}`);
      }
      tr.buf.set(req.chunk, offset);
      tr.received += req.chunk.length;
      tr.at = now();
      if (req.done) {
        transfers.delete(m.from);
        if (tr.received !== total) throw bad(`last chunk at ${tr.received} of ${total} bytes`);
        m.snapshot = { meta, data: tr.buf };
        t.step([m]);
      }
      return { received: BigInt(tr.received) };
    },
  };
}
