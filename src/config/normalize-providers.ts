/** [dns] and [ipam] → DnsConfig / IpamConfig, and the default owner id. */
import { createHash } from "node:crypto";
import { absoluteZone, httpUrl, type Sink, zoneProblem } from "./normalize-util.ts";
import type { RawConfig } from "./schema.ts";
import type { DnsConfig, IpamConfig, ProxmoxConfig, ZoneMapping } from "./types.ts";

export function normalizeDns(
  raw: RawConfig["dns"],
  mapping: readonly ZoneMapping[],
  proxmox: readonly ProxmoxConfig[],
  s: Sink,
): DnsConfig | undefined {
  let dns: DnsConfig | undefined;
  if (raw) {
    const d = raw;
    const zones: string[] = [];
    d.zones.forEach((z, j) => {
      const zone = absoluteZone(z);
      const bad = zoneProblem(zone);
      if (bad) s.issue(["dns", "zones", j], `"${z}" ${bad}`);
      else if (!zones.includes(zone)) zones.push(zone);
    });
    for (const m of mapping) {
      if (d.zones.length === 0) zones.push(m.zone);
      else if (!zones.includes(m.zone))
        s.warn(`mapping zone ${m.zone} is not listed in dns.zones; it is not managed`);
    }
    let powerdns: DnsConfig["powerdns"];
    if (!d.powerdns) s.issue(["dns"], 'missing [dns.powerdns] (url and api key) for provider = "powerdns"');
    else {
      const u = httpUrl(d.powerdns.url);
      if ("error" in u) s.issue(["dns", "powerdns", "url"], u.error);
      const apiKey = s.secret(
        ["dns", "powerdns"],
        {
          env: ["PIPAM_DNS_POWERDNS_API_KEY"],
          file: d.powerdns.api_key_file,
          inline: d.powerdns.api_key,
          fileKey: "api_key_file",
          inlineKey: "api_key",
        },
        { missing: "no API key: set api_key_file, or the env var PIPAM_DNS_POWERDNS_API_KEY" },
      );
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
      s.warn(
        `dns.owner_id is not set; using "${ownerId}" (derived from the Proxmox names and hosts). Set it explicitly so it survives config changes.`,
      );
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/.test(ownerId)) {
      s.issue(["dns", "owner_id"], "must be 1–63 letters, digits, '-', '_', '.', ':'");
    }
    if (d.zones.length === 0 && mapping.length === 0)
      s.issue(["dns", "zones"], "no zones: list them in dns.zones");
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
  return dns;
}

export function normalizeIpam(raw: RawConfig["ipam"], s: Sink): IpamConfig | undefined {
  let ipam: IpamConfig | undefined;
  if (raw) {
    const n = raw.netbox;
    if (!n) s.issue(["ipam"], 'missing [ipam.netbox] (url and token) for provider = "netbox"');
    else {
      const u = httpUrl(n.url);
      if ("error" in u) s.issue(["ipam", "netbox", "url"], u.error);
      const token = s.secret(
        ["ipam", "netbox"],
        {
          env: ["PIPAM_IPAM_NETBOX_TOKEN"],
          file: n.token_file,
          inline: n.token,
          fileKey: "token_file",
          inlineKey: "token",
        },
        { missing: "no API token: set token_file, or the env var PIPAM_IPAM_NETBOX_TOKEN" },
      );
      ipam = {
        provider: raw.provider,
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
  return ipam;
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
