export type { ConfChangeData, RaftOptions } from "./raft.ts";
export { decodeConfChange, encodeConfChange } from "./raft.ts";
export type { RawNode, RawNodeOptions } from "./raw-node.ts";
export { createRawNode } from "./raw-node.ts";
export type { LogStorage, PersistBatch, Storage } from "./storage.ts";
export { entrySize, limitSize, MemoryStorage } from "./storage.ts";
export * from "./types.ts";
