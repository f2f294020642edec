/** Builds the DNS side of the reconciler from the config (the one place that picks PowerDNS). */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { createPowerDnsProvider } from "../providers/dns/powerdns/index.ts";
import type { DnsTarget } from "../reconcile/reconciler.ts";
import type { DnsRules } from "../state/derive-dns.ts";

export function dnsRules(config: Config): Omit<DnsRules, "reverseZones"> {
  const dns = config.dns;
  return {
    zones: config.mapping.map((m) => ({ zone: m.zone, networks: m.networks })),
    skipCidrs: config.skipCidrs,
    ttl: dns?.ttl ?? 300,
    ptr: dns?.ptr ?? false,
    ignoreInterfaces: dns?.ignoreInterfaces ?? [],
    tags: dns?.tags ?? { ignore: "pipam-ignore" },
  };
}

export function dnsTarget(config: Config, logger: Logger): DnsTarget | undefined {
  const dns = config.dns;
  if (!dns?.powerdns) return undefined;
  const provider = createPowerDnsProvider({
    url: dns.powerdns.url,
    apiKey: dns.powerdns.apiKey,
    serverId: dns.powerdns.serverId,
    timeoutMs: dns.powerdns.timeoutMs,
    ownerId: dns.ownerId,
    zones: dns.zones,
    createZones: dns.createZones,
    // Without PTR no reverse zone is read or checked; with it, every *.arpa. zone on the server.
    ...(dns.ptr ? {} : { reverseZones: [] }),
    logger,
  });
  return { provider, rules: dnsRules(config), ownerId: dns.ownerId, policy: dns.policy };
}
