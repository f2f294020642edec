/** The RaftService implementation: authenticates the peer, decodes, hands messages to the node. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import type { Message } from "../core/index.ts";
import { checkBearer } from "./auth.ts";
import { fromPb, toPb } from "./codec.ts";

export interface RaftStepTarget {
  step(msgs: Message[]): void;
  /** Steps and processes at once; returns the messages for `from` (see RaftNode.stepAndReply). */
  stepAndReply?(msgs: Message[], from: number): Message[];
}

export function raftServiceImpl(
  target: RaftStepTarget | ((msgs: Message[]) => void),
  secret: string | undefined,
): Partial<ServiceImpl<typeof RaftService>> {
  const t: RaftStepTarget = typeof target === "function" ? { step: target } : target;
  return {
    async step(req, ctx) {
      checkBearer(ctx.requestHeader.get("authorization"), secret, "raft peer");
      const msgs = req.messages.map(fromPb);
      const from = msgs[0]?.from ?? 0;
      // Inline answers only for a batch from one peer, and only when the caller asks for them.
      if (req.replyInline && t.stepAndReply && from !== 0 && msgs.every((m) => m.from === from)) {
        return { messages: t.stepAndReply(msgs, from).map(toPb) };
      }
      t.step(msgs);
      return {};
    },
  };
}
