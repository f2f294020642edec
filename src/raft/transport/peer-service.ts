/** The RaftService implementation: authenticates the peer, decodes, hands messages to the node. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { RaftService, StepRequest, StepResponseSchema } from "../../gen/pipam/v1/raft_pb.ts";
import type { Message } from "../core/index.ts";
import { checkBearer } from "./auth.ts";
import { fromPb, toPb } from "./codec.ts";

export interface RaftStepTarget {
  step(msgs: Message[]): void;
  /** Steps and processes at once; returns the messages for `from` (see RaftNode.stepAndReply). */
  stepAndReply?(msgs: Message[], from: number): Message[];
}

function stepper(target: RaftStepTarget | ((msgs: Message[]) => void)) {
  const t: RaftStepTarget = typeof target === "function" ? { step: target } : target;
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

export function raftServiceImpl(
  target: RaftStepTarget | ((msgs: Message[]) => void),
  secret: string | undefined,
): Partial<ServiceImpl<typeof RaftService>> {
  const step = stepper(target);
  return {
    async step(req, ctx) {
      checkBearer(ctx.requestHeader.get("authorization"), secret, "raft peer");
      return step(req);
    },
  };
}
