/**
 * Configuration: TOML file → validated, normalised Config (docs/configuration.md).
 * Imports nothing of ours but src/lib.
 */
export { configSecrets, toProxmoxEndpoints } from "./endpoints.ts";
export type { CheckResult, ParseOptions } from "./load.ts";
export { checkConfig, formatIssues, formatKeyPath, loadConfig, parseConfig } from "./load.ts";
export { deriveOwnerId } from "./normalize.ts";
export { DEFAULT_IGNORE_INTERFACES } from "./schema.ts";
export type { Env, ReadFile } from "./secrets.ts";
export type {
  Config,
  ConfigIssue,
  DnsConfig,
  IpamConfig,
  LogFormat,
  LogLevel,
  Policy,
  ProxmoxConfig,
  ProxmoxEndpoint,
  RaftConfig,
  ZoneMapping,
} from "./types.ts";
