export type { IpamApplyResult } from "./apply.ts";
export type { NbListPath, NbObject, NbQuery, NetboxClient, NetboxClientOptions } from "./client.ts";
export { authHeader, createNetboxClient } from "./client.ts";
export type { NetboxProvider, NetboxProviderOptions } from "./provider.ts";
export { createNetboxProvider } from "./provider.ts";
