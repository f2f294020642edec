/** The RaftService implementation: authenticates the peer, decodes, hands messages to the node. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import type { Message } from "../core/index.ts";
import { checkBearer } from "./auth.ts";
import { fromPb } from "./codec.ts";

export function raftServiceImpl(
  step: (msgs: Message[]) => void,
  secret: string | undefined,
): Partial<ServiceImpl<typeof RaftService>> {
  return {
    async step(req, ctx) {
      checkBearer(ctx.requestHeader.get("authorization"), secret, "raft peer");
      step(req.messages.map(fromPb));
      return {};
    },
  };
}
