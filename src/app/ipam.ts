/** Builds the NetBox side of the reconciler from the config. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { createNetboxProvider, type NetboxProvider } from "../providers/ipam/netbox/index.ts";
import type { IpamTarget } from "../reconcile/reconciler.ts";

export function netboxProvider(config: Config, logger: Logger): NetboxProvider | undefined {
  const nb = config.ipam?.netbox;
  if (!nb) return undefined;
  return createNetboxProvider({
    url: nb.url,
    token: nb.token,
    tag: nb.tag,
    clusterName: nb.cluster,
    adopt: nb.adopt,
    timeoutMs: nb.timeoutMs,
    logger: logger.child({ provider: "netbox" }),
  });
}

export function ipamTarget(config: Config, logger: Logger): IpamTarget | undefined {
  const nb = config.ipam?.netbox;
  const provider = netboxProvider(config, logger);
  if (!nb || !provider) return undefined;
  return {
    provider,
    derive: { clusterName: nb.cluster },
    plan: { tag: nb.tag, adopt: nb.adopt, policy: nb.policy },
  };
}
