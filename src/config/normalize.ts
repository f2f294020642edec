/**
 * Raw (schema-checked) config → normalised Config: cross-field rules, secrets, canonical forms.
 * Returns issues instead of throwing; each issue carries the key path it is about.
 */
import { createHash } from "node:crypto";
import ipaddr from "ipaddr.js";
import type { KeyPath } from "./locate.ts";
import type { RawConfig } from "./schema.ts";
import {
  type Env,
  envName,
  type FileMode,
  type ReadFile,
  resolveSecret,
  type SecretSpec,
} from "./secrets.ts";
import type { Config, DnsConfig, IpamConfig, ProxmoxConfig, RaftConfig, ZoneMapping } from "./types.ts";

export interface PathIssue {
  path: KeyPath;
  message: string;
}

export interface NormalizeContext {
  env: Env;
  readFile: ReadFile;
  /** Permission bits of secret files (for the "readable by everyone" warning). */
  modeOf?: FileMode;
  /** Directory of the config file (relative *_file paths resolve against it). */
  baseDir: string;
  path: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const TOKEN_NAME_RE = /^[A-Za-z][A-Za-z0-9.\-_]+$/;

/** "Example.COM" → "example.com." */
export function absoluteZone(z: string): string {
  const s = z.trim().toLowerCase();
  return s.endsWith(".") ? s : `${s}.`;
}

function zoneProblem(zone: string): string | undefined {
  if (zone === "." || zone.length > 254) return "is not a valid zone name";
  for (const label of zone.slice(0, -1).split(".")) {
    if (label === "" || label.length > 63 || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return `is not a valid zone name (bad label "${label}")`;
    }
  }
  return undefined;
}

/** Canonical CIDR (network address), or an error message. */
export function canonicalCidr(cidr: string): { cidr: string; exact: boolean } | { error: string } {
  try {
    const [addr, prefix] = ipaddr.parseCIDR(cidr.trim());
    const net =
      addr.kind() === "ipv4"
        ? ipaddr.IPv4.networkAddressFromCIDR(cidr.trim())
        : ipaddr.IPv6.networkAddressFromCIDR(cidr.trim());
    const out = `${net.toString()}/${prefix}`;
    return { cidr: out, exact: net.toString() === addr.toString() };
  } catch {
    return { error: `"${cidr}" is not a CIDR like 10.0.0.0/16 or 2001:db8::/64` };
  }
}

function httpUrl(v: string): { url: string; protocol: string } | { error: string } {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { error: `"${v}" is not a URL (e.g. https://host:8006)` };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    return { error: `"${v}" must start with https:// or http://` };
  }
  if (u.username || u.password) return { error: "must not contain credentials; use the token keys" };
  return { url: v.replace(/\/+$/, ""), protocol: u.protocol };
}

export function normalizeConfig(
  raw: RawConfig,
  ctx: NormalizeContext,
): { config?: Config; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const warnings: string[] = [];
  const issue = (path: KeyPath, message: string) => issues.push({ path, message });
  const secret = (path: KeyPath, spec: SecretSpec, label = path.join(".")): string | undefined => {
    const r = resolveSecret(spec, ctx.env, ctx.readFile, ctx.baseDir, ctx.modeOf);
    if (!r.ok) {
      issue([...path, r.errorKey], r.error);
      return undefined;
    }
    if (r.warning) warnings.push(`${label}: ${r.warning}`);
    return r.value;
  };

  // ---- proxmox
  const multi = raw.proxmox.length > 1;
  const names = new Set<string>();
  const proxmox: ProxmoxConfig[] = [];
  raw.proxmox.forEach((p, i) => {
    const at = ["proxmox", i] as const;
    const name = p.name ?? (multi ? undefined : "default");
    if (name === undefined)
      issue([...at, "name"], "each [[proxmox]] needs a unique name when there are several");
    else if (!NAME_RE.test(name))
      issue([...at, "name"], `"${name}" must be letters, digits, "-", "_" or "."`);
    else if (names.has(name)) issue([...at, "name"], `duplicate cluster name "${name}"`);
    else names.add(name);

    const u = httpUrl(p.url);
    let url = "";
    if ("error" in u) issue([...at, "url"], u.error);
    else {
      url = u.url.replace(/\/api2\/json$/, "");
      if (u.protocol === "http:")
        warnings.push(`proxmox ${name}: url uses plain http; the token travels unencrypted`);
    }

    let userRealm = p.user.trim();
    if (userRealm === "" || userRealm.startsWith("@"))
      issue([...at, "user"], "must name the token's user, e.g. pipam@pve");
    if (!userRealm.includes("@")) userRealm = `${userRealm}@${p.realm ?? "pam"}`;
    else if (p.realm !== undefined && !userRealm.endsWith(`@${p.realm}`)) {
      issue([...at, "realm"], `realm "${p.realm}" contradicts user "${p.user}"`);
    }
    let tokenId = p.token_id.trim();
    if (tokenId.includes("!")) {
      if (!tokenId.startsWith(`${userRealm}!`))
        issue([...at, "token_id"], `"${tokenId}" is not a token of ${userRealm}`);
    } else {
      if (!TOKEN_NAME_RE.test(tokenId)) {
        issue([...at, "token_id"], `"${tokenId}" is not a valid token name (letters, digits, ".", "-", "_")`);
      }
      tokenId = `${userRealm}!${tokenId}`;
    }

    const env = [
      ...(name ? [`PIPAM_PROXMOX_${envName(name)}_TOKEN_UUID`] : []),
      ...(multi ? [] : ["PIPAM_PROXMOX_TOKEN_UUID"]),
    ];
    const value = secret(
      at,
      {
        env,
        file: p.token_uuid_file,
        inline: p.token_uuid,
        fileKey: "token_uuid_file",
        inlineKey: "token_uuid",
      },
      `proxmox ${name ?? i}`,
    );
    if (
      value === undefined &&
      !issues.some((x) => x.path[0] === "proxmox" && x.path[1] === i && x.path[2] === "token_uuid_file")
    ) {
      issue(
        [...at, "token_uuid"],
        `no API token secret: set token_uuid_file, or the env var ${env.join(" or ")}`,
      );
    }

    let fingerprint: string | undefined;
    if (p.fingerprint !== undefined) {
      // several (comma-separated) are allowed, e.g. old and new certificate during a renewal
      const prints = p.fingerprint.split(",").map((f) => f.replace(/[:\s]/g, "").toUpperCase());
      if (prints.some((hex) => !/^[0-9A-F]{64}$/.test(hex))) {
        issue(
          [...at, "fingerprint"],
          "must be a SHA-256 fingerprint: 32 hex bytes, e.g. AB:CD:…:89 (pvenode cert info shows it); several separated by commas",
        );
      } else fingerprint = prints.map((hex) => hex.match(/../g)?.join(":")).join(",");
    }
    let caFile: string | undefined;
    if (p.ca_file !== undefined) {
      caFile = p.ca_file.startsWith("/") ? p.ca_file : `${ctx.baseDir}/${p.ca_file}`;
      try {
        ctx.readFile(caFile);
      } catch (err) {
        issue([...at, "ca_file"], `cannot read ${caFile}: ${(err as { code?: string }).code ?? String(err)}`);
      }
      if (p.insecure) warnings.push(`proxmox ${name}: ca_file is not used because insecure = true`);
    }
    if (p.timeout <= 0) issue([...at, "timeout"], "must be greater than 0");
    proxmox.push({
      name: name ?? `#${i}`,
      url,
      tokenId,
      secret: value ?? "",
      insecure: p.insecure,
      ...(caFile !== undefined ? { caFile } : {}),
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      timeoutMs: p.timeout,
      concurrencyPerNode: p.concurrency_per_node,
    });
  });

  // ---- mapping
  const mapping: ZoneMapping[] = [];
  for (const [key, m] of Object.entries(raw.mapping)) {
    const zone = absoluteZone(key);
    const bad = zoneProblem(zone);
    if (bad) issue(["mapping", key], `zone "${key}" ${bad}`);
    const networks: string[] = [];
    m.networks.forEach((n, j) => {
      const c = canonicalCidr(n.cidr);
      if ("error" in c) issue(["mapping", key, "networks", j, "cidr"], c.error);
      else {
        if (!c.exact) warnings.push(`mapping "${key}": ${n.cidr} has host bits set; using ${c.cidr}`);
        networks.push(c.cidr);
      }
    });
    mapping.push({ zone, networks });
  }

  const skipCidrs: string[] = [];
  raw.skip_cidrs.forEach((s, j) => {
    const c = canonicalCidr(s);
    if ("error" in c) issue(["skip_cidrs", j], c.error);
    else skipCidrs.push(c.cidr);
  });

  // ---- dns
  let dns: DnsConfig | undefined;
  if (raw.dns) {
    const d = raw.dns;
    const zones: string[] = [];
    d.zones.forEach((z, j) => {
      const zone = absoluteZone(z);
      const bad = zoneProblem(zone);
      if (bad) issue(["dns", "zones", j], `"${z}" ${bad}`);
      else if (!zones.includes(zone)) zones.push(zone);
    });
    for (const m of mapping) {
      if (d.zones.length === 0) zones.push(m.zone);
      else if (!zones.includes(m.zone))
        warnings.push(`mapping zone ${m.zone} is not listed in dns.zones; it is not managed`);
    }
    let powerdns: DnsConfig["powerdns"];
    if (!d.powerdns) issue(["dns"], 'missing [dns.powerdns] (url and api key) for provider = "powerdns"');
    else {
      const u = httpUrl(d.powerdns.url);
      if ("error" in u) issue(["dns", "powerdns", "url"], u.error);
      const apiKey = secret(["dns", "powerdns"], {
        env: ["PIPAM_DNS_POWERDNS_API_KEY"],
        file: d.powerdns.api_key_file,
        inline: d.powerdns.api_key,
        fileKey: "api_key_file",
        inlineKey: "api_key",
      });
      if (apiKey === undefined && !issues.some((x) => x.path.join(".") === "dns.powerdns.api_key_file")) {
        issue(
          ["dns", "powerdns", "api_key"],
          "no API key: set api_key_file, or the env var PIPAM_DNS_POWERDNS_API_KEY",
        );
      }
      powerdns = {
        url: "url" in u ? u.url : "",
        apiKey: apiKey ?? "",
        serverId: d.powerdns.server_id,
        timeoutMs: d.powerdns.timeout,
      };
    }
    const derived = d.owner_id === undefined;
    const ownerId = d.owner_id ?? deriveOwnerId(proxmox);
    if (derived) {
      warnings.push(
        `dns.owner_id is not set; using "${ownerId}" (derived from the Proxmox names and hosts). Set it explicitly so it survives config changes.`,
      );
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/.test(ownerId)) {
      issue(["dns", "owner_id"], "must be 1–63 letters, digits, '-', '_', '.', ':'");
    }
    if (d.zones.length === 0 && mapping.length === 0)
      issue(["dns", "zones"], "no zones: list them in dns.zones");
    dns = {
      provider: d.provider,
      zones,
      ttl: d.ttl,
      policy: d.policy,
      ownerId,
      ownerIdDerived: derived,
      ptr: d.ptr,
      createZones: d.create_zones,
      ignoreInterfaces: d.ignore_interfaces,
      tags: { ignore: d.tags.ignore, ...(d.tags.require !== undefined ? { require: d.tags.require } : {}) },
      ...(powerdns ? { powerdns } : {}),
    };
  }

  // ---- ipam
  let ipam: IpamConfig | undefined;
  if (raw.ipam) {
    const n = raw.ipam.netbox;
    if (!n) issue(["ipam"], 'missing [ipam.netbox] (url and token) for provider = "netbox"');
    else {
      const u = httpUrl(n.url);
      if ("error" in u) issue(["ipam", "netbox", "url"], u.error);
      const token = secret(["ipam", "netbox"], {
        env: ["PIPAM_IPAM_NETBOX_TOKEN"],
        file: n.token_file,
        inline: n.token,
        fileKey: "token_file",
        inlineKey: "token",
      });
      if (token === undefined && !issues.some((x) => x.path.join(".") === "ipam.netbox.token_file")) {
        issue(
          ["ipam", "netbox", "token"],
          "no API token: set token_file, or the env var PIPAM_IPAM_NETBOX_TOKEN",
        );
      }
      ipam = {
        provider: raw.ipam.provider,
        netbox: {
          url: "url" in u ? u.url : "",
          token: token ?? "",
          ...(n.cluster !== undefined ? { cluster: n.cluster } : {}),
          tag: n.tag,
          adopt: n.adopt,
          policy: n.policy,
          timeoutMs: n.timeout,
        },
      };
    }
  }

  // ---- raft
  const r = raw.raft;
  const peers: Record<number, string> = {};
  for (const [k, v] of Object.entries(r.peers)) {
    if (!/^[1-9][0-9]*$/.test(k)) {
      issue(["raft", "peers", k], `peer key "${k}" must be a node id (a positive number)`);
      continue;
    }
    const u = httpUrl(v);
    if ("error" in u) issue(["raft", "peers", k], u.error);
    else peers[Number(k)] = u.url;
  }
  let listenAddr = r.listen_addr;
  if (r.node_id > 0 && listenAddr === undefined) {
    const own = peers[r.node_id];
    if (own) listenAddr = new URL(own).host;
    else
      issue(
        ["raft", "listen_addr"],
        `required when node_id is set (or list node ${r.node_id} in raft.peers)`,
      );
  }
  if (listenAddr !== undefined && !/^.+:\d{1,5}$/.test(listenAddr)) {
    issue(["raft", "listen_addr"], `"${listenAddr}" must be host:port`);
  }
  const raftSecret = secret(["raft"], {
    env: ["PIPAM_RAFT_SECRET"],
    file: r.secret_file,
    inline: r.secret,
    fileKey: "secret_file",
    inlineKey: "secret",
  });
  const adminToken = secret(["raft"], {
    env: ["PIPAM_RAFT_ADMIN_TOKEN"],
    file: r.admin_token_file,
    inline: r.admin_token,
    fileKey: "admin_token_file",
    inlineKey: "admin_token",
  });
  if (r.node_id > 0 && raftSecret === undefined) {
    warnings.push("raft: no secret_file; peer traffic is not authenticated");
  }
  if (r.tick_interval <= 0) issue(["raft", "tick_interval"], "must be greater than 0");
  const raft: RaftConfig = {
    nodeId: r.node_id,
    ...(listenAddr !== undefined ? { listenAddr } : {}),
    dataDir: r.data_dir,
    tickIntervalMs: r.tick_interval,
    peers,
    ...(raftSecret !== undefined ? { secret: raftSecret } : {}),
    ...(adminToken !== undefined ? { adminToken } : {}),
  };

  // ---- server
  if (!/^.+:\d{1,5}$/.test(raw.server.listen))
    issue(["server", "listen"], `"${raw.server.listen}" must be host:port`);
  const serverToken = secret(["server"], {
    env: ["PIPAM_SERVER_TOKEN"],
    file: raw.server.token_file,
    inline: raw.server.token,
    fileKey: "token_file",
    inlineKey: "token",
  });

  if (raw.collect_interval <= 0) issue(["collect_interval"], "must be greater than 0");

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
      server: { listen: raw.server.listen, ...(serverToken !== undefined ? { token: serverToken } : {}) },
      log: {
        ...(raw.log.level !== undefined ? { level: raw.log.level } : {}),
        ...(raw.log.format !== undefined ? { format: raw.log.format } : {}),
      },
      mapping,
      warnings,
    },
  };
}

/**
 * The default owner id: "pipam-" + the first 12 hex digits of SHA-256 over the sorted
 * "name=host:port" of every Proxmox cluster. Stable while the clusters stay the same.
 */
export function deriveOwnerId(proxmox: readonly { name: string; url: string }[]): string {
  const ids = proxmox
    .map((p) => {
      let host = p.url;
      try {
        host = new URL(p.url).host;
      } catch {}
      return `${p.name}=${host.toLowerCase()}`;
    })
    .sort();
  return `pipam-${createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 12)}`;
}
