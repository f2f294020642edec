/**
 * The raw TOML schema: every key pipam accepts, with its type and default. Objects are strict,
 * so an unknown key (a typo) is an error. Cross-field rules and secrets are in normalize.ts.
 */
import { z } from "zod";
import { describe, parseDuration } from "./duration.ts";

const SECOND = 1000;

/** A duration: number in `numberUnitMs` units (legacy) or a string like "30s". Output: ms. */
function duration(defaultMs: number, numberUnitMs = SECOND) {
  return z
    .unknown()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return defaultMs;
      const r = parseDuration(v, numberUnitMs);
      if (r.ok) return r.ms;
      ctx.addIssue({ code: "custom", message: r.error });
      return z.NEVER;
    });
}

/** Error text for a wrong type; a missing required key says so. */
const expected =
  (what: string) =>
  (i: { input: unknown }): string =>
    i.input === undefined
      ? `required key is missing (${what})`
      : `expected ${what}, got ${describe(i.input)}`;

const str = () => z.string({ error: expected("a string") });
const bool = () => z.boolean({ error: expected("true or false") });
const strList = () => z.array(str(), { error: expected("an array of strings") });
const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, {
    error: (i) => `expected one of ${values.map((v) => `"${v}"`).join(", ")}, got ${describe(i.input)}`,
  });
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: expected("a number") })
    .int({ error: "expected a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const POLICIES = ["sync", "upsert-only", "create-only"] as const;
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
export const LOG_FORMATS = ["text", "json"] as const;

export const DEFAULT_IGNORE_INTERFACES = [
  "lo",
  "docker*",
  "veth*",
  "br-*",
  "cni*",
  "flannel*",
  "cali*",
  "virbr*",
  "tailscale*",
  "weave*",
  "vxlan*",
  "cilium*",
  "kube-*",
  "podman*",
  "lxcbr*",
  "vnet*",
];

export const proxmoxSchema = z.strictObject({
  name: str().optional(),
  url: str(),
  user: str(),
  realm: str().optional(),
  token_id: str(),
  token_uuid: str().optional(),
  token_uuid_file: str().optional(),
  insecure: bool().default(false),
  fingerprint: str().optional(),
  ca_file: str().optional(),
  timeout: duration(10 * SECOND),
  concurrency_per_node: int(1, 256).default(4),
});

const tagsSchema = z.strictObject({
  ignore: str().default("pipam-ignore"),
  require: str().optional(),
});

export const dnsSchema = z.strictObject({
  provider: oneOf(["powerdns"]).default("powerdns"),
  zones: strList().default([]),
  ttl: int(1, 2_147_483_647).default(300),
  policy: oneOf(POLICIES).default("sync"),
  owner_id: str().optional(),
  ptr: bool().default(false),
  create_zones: bool().default(false),
  ignore_interfaces: strList().default(DEFAULT_IGNORE_INTERFACES),
  tags: tagsSchema.prefault({}),
  powerdns: z
    .strictObject({
      url: str(),
      api_key: str().optional(),
      api_key_file: str().optional(),
      server_id: str().default("localhost"),
      timeout: duration(10 * SECOND),
    })
    .optional(),
});

export const ipamSchema = z.strictObject({
  provider: oneOf(["netbox"]).default("netbox"),
  netbox: z
    .strictObject({
      url: str(),
      token: str().optional(),
      token_file: str().optional(),
      cluster: str().optional(),
      tag: str().default("pipam"),
      adopt: bool().default(false),
      policy: oneOf(POLICIES).default("sync"),
      timeout: duration(10 * SECOND),
    })
    .optional(),
});

export const raftSchema = z.strictObject({
  node_id: int(0).default(0),
  listen_addr: str().optional(),
  data_dir: str().optional(),
  tick_interval: duration(100, 1),
  peers: z.record(str(), str(), { error: expected('a table of node id = "URL"') }).default({}),
  join: bool().default(false),
  secret: str().optional(),
  secret_file: str().optional(),
  admin_token: str().optional(),
  admin_token_file: str().optional(),
});

export const serverSchema = z.strictObject({
  listen: str().default("127.0.0.1:9180"),
  grpc_listen: str().optional(),
  token: str().optional(),
  token_file: str().optional(),
});

export const logSchema = z.strictObject({
  level: oneOf(LOG_LEVELS).optional(),
  format: oneOf(LOG_FORMATS).optional(),
});

export const mappingSchema = z.strictObject({
  networks: z
    .array(z.strictObject({ cidr: str() }), { error: 'expected networks = [{ cidr = "10.0.0.0/16" }, ...]' })
    .default([]),
});

export const rawConfigSchema = z.strictObject({
  collect_interval: duration(30 * SECOND),
  full_reconcile_interval: duration(0),
  skip_cidrs: strList().default([]),
  proxmox: z
    .array(proxmoxSchema, { error: expected("a [proxmox] table or [[proxmox]] tables") })
    .min(1, { error: "at least one [[proxmox]] cluster is required" }),
  dns: dnsSchema.optional(),
  ipam: ipamSchema.optional(),
  raft: raftSchema.prefault({}),
  server: serverSchema.prefault({}),
  log: logSchema.prefault({}),
  mapping: z.record(str(), mappingSchema).default({}),
});

export type RawConfig = z.output<typeof rawConfigSchema>;
