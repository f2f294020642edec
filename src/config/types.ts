/**
 * The normalised configuration: durations in milliseconds, secrets resolved, zones absolute
 * (trailing dot), Proxmox always an array. Produced by parseConfig/loadConfig.
 */

export type Policy = "sync" | "upsert-only" | "create-only";
export type LogLevel = "debug" | "info" | "warning" | "error";
export type LogFormat = "text" | "json";

export interface ProxmoxConfig {
  /** "default" for a single [proxmox] table. */
  name: string;
  /** Base URL without a trailing slash or /api2/json, e.g. https://pve.example.com:8006. */
  url: string;
  /** `user@realm!token_id`, as in the PVEAPIToken header. */
  tokenId: string;
  /** The token secret (UUID). */
  secret: string;
  insecure: boolean;
  caFile?: string;
  /** SHA-256 certificate fingerprint, uppercase hex pairs joined by ":". */
  fingerprint?: string;
  timeoutMs: number;
  concurrencyPerNode: number;
}

export interface DnsConfig {
  provider: "powerdns";
  /** Absolute zone names ("example.com."). */
  zones: string[];
  ttl: number;
  policy: Policy;
  ownerId: string;
  /** True when owner_id was derived rather than set. */
  ownerIdDerived: boolean;
  ptr: boolean;
  createZones: boolean;
  ignoreInterfaces: string[];
  tags: { ignore: string; require?: string };
  powerdns?: { url: string; apiKey: string; serverId: string; timeoutMs: number };
}

export interface IpamConfig {
  provider: "netbox";
  netbox?: {
    url: string;
    token: string;
    cluster?: string;
    tag: string;
    adopt: boolean;
    policy: Policy;
    timeoutMs: number;
  };
}

export interface RaftConfig {
  /** 0 = single node (no Raft). */
  nodeId: number;
  listenAddr?: string;
  /** Raft log and snapshots (cluster); a single node keeps `state.json` here when set explicitly. */
  dataDir: string;
  /** `data_dir` was written in the config (not the default). */
  dataDirSet?: true;
  tickIntervalMs: number;
  /** node id → base URL. */
  peers: Record<number, string>;
  /**
   * Joins a running cluster: a fresh data_dir starts with no membership (no bootstrap from
   * `peers`) and waits for the leader to add it (`pipam member add`). Ignored once it has a log.
   */
  join: boolean;
  /** Shared secret that authenticates peer traffic. */
  secret?: string;
  /** Bearer token for AdminService writes. */
  adminToken?: string;
}

export interface ZoneMapping {
  /** Absolute zone ("example.com."). */
  zone: string;
  /** Canonical CIDRs ("10.0.0.0/16"). */
  networks: string[];
}

export interface Config {
  /** The file this came from. */
  path: string;
  collectIntervalMs: number;
  /** 0 = off. */
  fullReconcileIntervalMs: number;
  skipCidrs: string[];
  proxmox: ProxmoxConfig[];
  dns?: DnsConfig;
  ipam?: IpamConfig;
  raft: RaftConfig;
  /** grpcListen: optional h2c port for native gRPC clients (Bun.serve cannot send trailers). */
  server: { listen: string; grpcListen?: string; token?: string };
  log: { level?: LogLevel; format?: LogFormat };
  mapping: ZoneMapping[];
  /** Things that are allowed but probably not meant (printed at startup). */
  warnings: string[];
}

/**
 * What the Proxmox collector needs per endpoint. Structurally identical to the interface that
 * src/collect exports (config imports nothing of ours but src/lib, so it is declared here too).
 */
export interface ProxmoxEndpoint {
  name: string;
  url: string;
  /** user@realm!tokenid */
  tokenId: string;
  secret: string;
  insecure: boolean;
  caFile?: string;
  fingerprint?: string;
  timeoutMs: number;
  concurrencyPerNode: number;
}

/** One validation problem: where (key path, line) and what. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `proxmox.token_uuid`, `proxmox[1].url`, `mapping."example.com".networks[0].cidr`. */
  key: string;
  line?: number;
  message: string;
}
