export type { Issue, NetboxSchema } from "./openapi.ts";
export { loadNetboxSchema } from "./openapi.ts";
export type { NetboxDouble, NetboxDoubleOptions, RejectedRequest } from "./server.ts";
export { createNetboxDouble } from "./server.ts";
export type { Kind, Rec, Store } from "./store.ts";
