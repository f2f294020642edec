/** Core Raft messages ↔ protobuf (pipam.v1.RaftMessage). uint64 fields are bigint on the wire side. */
import { create } from "@bufbuild/protobuf";
import { EntryType as PbEntryType, type RaftMessage, RaftMessageSchema } from "../../gen/pipam/v1/raft_pb.ts";
import type { Entry, Message, MessageType } from "../core/index.ts";

const TYPES: readonly MessageType[] = [
  "app",
  "app-resp",
  "vote",
  "vote-resp",
  "pre-vote",
  "pre-vote-resp",
  "heartbeat",
  "heartbeat-resp",
  "snap",
  "timeout-now",
];

const big = (n: number) => BigInt(n);
const num = (b: bigint) => Number(b);

export function toPb(m: Message): RaftMessage {
  return create(RaftMessageSchema, {
    type: m.type,
    from: big(m.from),
    to: big(m.to),
    term: big(m.term),
    logTerm: big(m.logTerm),
    index: big(m.index),
    commit: big(m.commit),
    reject: m.reject,
    rejectHint: big(m.rejectHint),
    force: m.force ?? false,
    entries: m.entries.map((e) => ({
      index: big(e.index),
      term: big(e.term),
      type: e.type === "conf-change" ? PbEntryType.CONF_CHANGE : PbEntryType.NORMAL,
      data: e.data,
    })),
    ...(m.snapshot
      ? {
          snapshot: {
            index: big(m.snapshot.meta.index),
            term: big(m.snapshot.meta.term),
            voters: m.snapshot.meta.confState.voters.map(big),
            learners: m.snapshot.meta.confState.learners.map(big),
          },
          snapshotData: m.snapshot.data,
        }
      : {}),
  });
}

export function fromPb(p: RaftMessage): Message {
  const type = p.type as MessageType;
  if (!TYPES.includes(type)) throw new Error(`unknown raft message type ${JSON.stringify(p.type)}`);
  const m: Message = {
    type,
    from: num(p.from),
    to: num(p.to),
    term: num(p.term),
    logTerm: num(p.logTerm),
    index: num(p.index),
    commit: num(p.commit),
    reject: p.reject,
    rejectHint: num(p.rejectHint),
    entries: p.entries.map(
      (e): Entry => ({
        index: num(e.index),
        term: num(e.term),
        type: e.type === PbEntryType.CONF_CHANGE ? "conf-change" : "normal",
        data: e.data,
      }),
    ),
  };
  if (p.force) m.force = true;
  if (p.snapshot) {
    m.snapshot = {
      meta: {
        index: num(p.snapshot.index),
        term: num(p.snapshot.term),
        confState: { voters: p.snapshot.voters.map(num), learners: p.snapshot.learners.map(num) },
      },
      data: p.snapshotData,
    };
  }
  return m;
}
