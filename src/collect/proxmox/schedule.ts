/**
 * When does a guest need its details (config, agent, LXC interfaces) read again? Pure.
 * The list call tells us cheaply what changed: a guest is re-read when it is new, or its node,
 * status, type, name, tags or template flag changed, or its uptime went down (it rebooted), or
 * its slow refresh is due. Slow refreshes are spread over the refresh interval by a per-guest
 * offset so that the guests read together in the first cycle are not all re-read together.
 */
import type { GuestDetails } from "./map.ts";
import type { ResourceEntry } from "./parse-resources.ts";

export interface Known {
  entry: ResourceEntry;
  details?: GuestDetails;
  /** Epoch ms when the next slow refresh (or retry after an error) is due. */
  nextAt: number;
}

export type Reason = "new" | "changed" | "rebooted" | "due" | "none";

export function detailReason(known: Known | undefined, e: ResourceEntry, now: number): Reason {
  if (!known) return "new";
  const p = known.entry;
  if (
    p.node !== e.node ||
    p.status !== e.status ||
    p.type !== e.type ||
    p.name !== e.name ||
    p.template !== e.template ||
    p.tags.join(";") !== e.tags.join(";")
  ) {
    return "changed";
  }
  if (e.uptime !== undefined && p.uptime !== undefined && e.uptime < p.uptime) return "rebooted";
  return now >= known.nextAt ? "due" : "none";
}

/** A stable fraction in [0, 1) per guest (FNV-1a of cluster/vmid). */
export function spread(cluster: string, vmid: number): number {
  let h = 0x811c9dc5;
  const s = `${cluster}/${vmid}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x100000000;
}

/** Success: due again after 50–100% of `refreshMs`; failure: after `retryMs` (capped at refreshMs). */
export function nextDetailsAt(
  now: number,
  ok: boolean,
  opts: { refreshMs: number; retryMs: number },
  cluster: string,
  vmid: number,
): number {
  if (!ok) return now + Math.min(opts.retryMs, opts.refreshMs);
  return now + Math.round(opts.refreshMs * (0.5 + 0.5 * spread(cluster, vmid)));
}
