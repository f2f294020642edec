/**
 * Raw (schema-checked) config → normalised Config: cross-field rules, secrets, canonical forms.
 * Returns issues instead of throwing; each issue carries the key path it is about.
 */
import { normalizeDns, normalizeIpam } from "./normalize-providers.ts";
import { normalizeProxmox } from "./normalize-proxmox.ts";
import {
  absoluteZone,
  canonicalCidr,
  createSink,
  httpUrl,
  type NormalizeContext,
  type PathIssue,
  zoneProblem,
} from "./normalize-util.ts";
import type { RawConfig } from "./schema.ts";
import type { Config, RaftConfig, ZoneMapping } from "./types.ts";

export { deriveOwnerId } from "./normalize-providers.ts";
export type { NormalizeContext, PathIssue } from "./normalize-util.ts";
export { absoluteZone, canonicalCidr } from "./normalize-util.ts";

export function normalizeConfig(
  raw: RawConfig,
  ctx: NormalizeContext,
): { config?: Config; issues: PathIssue[] } {
  const s = createSink(ctx);
  const { issues, warnings } = s;
  const proxmox = normalizeProxmox(raw.proxmox, s, ctx);

  // ---- mapping
  const mapping: ZoneMapping[] = [];
  for (const [key, m] of Object.entries(raw.mapping)) {
    const zone = absoluteZone(key);
    const bad = zoneProblem(zone);
    if (bad) s.issue(["mapping", key], `zone "${key}" ${bad}`);
    const networks: string[] = [];
    m.networks.forEach((n, j) => {
      const c = canonicalCidr(n.cidr);
      if ("error" in c) s.issue(["mapping", key, "networks", j, "cidr"], c.error);
      else {
        if (!c.exact) s.warn(`mapping "${key}": ${n.cidr} has host bits set; using ${c.cidr}`);
        networks.push(c.cidr);
      }
    });
    mapping.push({ zone, networks });
  }

  const skipCidrs: string[] = [];
  raw.skip_cidrs.forEach((cidr, j) => {
    const c = canonicalCidr(cidr);
    if ("error" in c) s.issue(["skip_cidrs", j], c.error);
    else skipCidrs.push(c.cidr);
  });

  const dns = normalizeDns(raw.dns, mapping, proxmox, s);
  const ipam = normalizeIpam(raw.ipam, s);

  // ---- raft
  const r = raw.raft;
  const peers: Record<number, string> = {};
  for (const [k, v] of Object.entries(r.peers)) {
    if (!/^[1-9][0-9]*$/.test(k)) {
      s.issue(["raft", "peers", k], `peer key "${k}" must be a node id (a positive number)`);
      continue;
    }
    const u = httpUrl(v);
    if ("error" in u) s.issue(["raft", "peers", k], u.error);
    else peers[Number(k)] = u.url;
  }
  let listenAddr = r.listen_addr;
  if (r.node_id > 0 && listenAddr === undefined) {
    const own = peers[r.node_id];
    if (own) listenAddr = new URL(own).host;
    else
      s.issue(
        ["raft", "listen_addr"],
        `required when node_id is set (or list node ${r.node_id} in raft.peers)`,
      );
  }
  if (listenAddr !== undefined && !/^.+:\d{1,5}$/.test(listenAddr)) {
    s.issue(["raft", "listen_addr"], `"${listenAddr}" must be host:port`);
  }
  const raftSecret = s.secret(["raft"], {
    env: ["PIPAM_RAFT_SECRET"],
    file: r.secret_file,
    inline: r.secret,
    fileKey: "secret_file",
    inlineKey: "secret",
  });
  const adminToken = s.secret(["raft"], {
    env: ["PIPAM_RAFT_ADMIN_TOKEN"],
    file: r.admin_token_file,
    inline: r.admin_token,
    fileKey: "admin_token_file",
    inlineKey: "admin_token",
  });
  if (r.node_id > 0 && raftSecret === undefined) {
    s.warn("raft: no secret_file; peer traffic is not authenticated");
  }
  if (r.tick_interval <= 0) s.issue(["raft", "tick_interval"], "must be greater than 0");
  if (r.join && r.node_id > 0 && !Object.keys(peers).some((k) => Number(k) !== r.node_id)) {
    s.issue(
      ["raft", "join"],
      "a joining node needs the cluster's members in raft.peers (it has none but itself)",
    );
  }
  const raft: RaftConfig = {
    nodeId: r.node_id,
    ...(listenAddr !== undefined ? { listenAddr } : {}),
    dataDir: r.data_dir ?? "/var/lib/pipam",
    ...(r.data_dir !== undefined ? { dataDirSet: true as const } : {}),
    tickIntervalMs: r.tick_interval,
    peers,
    join: r.join,
    ...(raftSecret !== undefined ? { secret: raftSecret } : {}),
    ...(adminToken !== undefined ? { adminToken } : {}),
  };

  // ---- server
  if (!/^.+:\d{1,5}$/.test(raw.server.listen))
    s.issue(["server", "listen"], `"${raw.server.listen}" must be host:port`);
  if (raw.server.grpc_listen !== undefined && !/^.+:\d{1,5}$/.test(raw.server.grpc_listen))
    s.issue(["server", "grpc_listen"], `"${raw.server.grpc_listen}" must be host:port`);
  const serverToken = s.secret(["server"], {
    env: ["PIPAM_SERVER_TOKEN"],
    file: raw.server.token_file,
    inline: raw.server.token,
    fileKey: "token_file",
    inlineKey: "token",
  });

  if (raw.collect_interval <= 0) s.issue(["collect_interval"], "must be greater than 0");

  if (issues.length > 0) return { issues };
  return {
    issues,
    config: {
      path: ctx.path,
      collectIntervalMs: raw.collect_interval,
      fullReconcileIntervalMs: raw.full_reconcile_interval,
      skipCidrs,
      proxmox,
      ...(dns ? { dns } : {}),
      ...(ipam ? { ipam } : {}),
      raft,
      server: {
        listen: raw.server.listen,
        ...(raw.server.grpc_listen !== undefined ? { grpcListen: raw.server.grpc_listen } : {}),
        ...(serverToken !== undefined ? { token: serverToken } : {}),
      },
      log: {
        ...(raw.log.level !== undefined ? { level: raw.log.level } : {}),
        ...(raw.log.format !== undefined ? { format: raw.log.format } : {}),
      },
      mapping,
      warnings,
    },
  };
}
