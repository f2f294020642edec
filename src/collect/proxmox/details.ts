/**
 * Reads one guest's details: its config (MACs, static/cloud-init addresses, agent flag) and, when
 * running, its live interfaces (QEMU guest agent if enabled in the config, LXC `interfaces`).
 * Never throws for a Proxmox failure: the guest comes back with `error` and its last known NICs.
 * The caller's abort is re-thrown.
 */
import { PipamError } from "../../lib/errors.ts";
import type { GuestNic } from "../../state/model.ts";
import type { ProxmoxClient } from "./client.ts";
import {
  type GuestDetails,
  mergeNics,
  parseAgentInterfaces,
  parseGuestConfig,
  parseLxcInterfaces,
} from "./map.ts";
import type { ResourceEntry } from "./parse-resources.ts";

export interface DetailsResult {
  details: GuestDetails;
  /**
   * The error will not go away by itself soon (permission denied, agent command unsupported or
   * disabled): retry at the slow refresh pace instead of the quick retry pace.
   */
  lasting: boolean;
  /** Problems in the data that did not prevent reading it (for debug logs). */
  problems: string[];
}

export interface DetailsContext {
  client: ProxmoxClient;
  now: () => number;
  /** Set once a node answered 501 for LXC interfaces (PVE < 8.1): skip the call there. */
  noLxcInterfaces: Set<string>;
}

const enc = encodeURIComponent;

function failed(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) throw signal.reason;
  if (err instanceof PipamError) return err.message;
  throw err;
}

/**
 * `prev`: what we knew; `sameBoot`: the guest did not restart since `prev` was read, so its last
 * live NICs are still the best guess when the live call fails now.
 */
export async function readDetails(
  ctx: DetailsContext,
  cluster: string,
  e: ResourceEntry,
  prev: GuestDetails | undefined,
  sameBoot: boolean,
  signal: AbortSignal,
): Promise<DetailsResult> {
  const base = `/nodes/${enc(e.node)}/${e.type}/${e.vmid}`;
  let lasting = false;
  const keepPrev = (error: string): DetailsResult => ({
    details: {
      nics: prev?.nics ?? [],
      ...(prev?.name !== undefined ? { name: prev.name } : {}),
      ...(prev?.tags !== undefined ? { tags: prev.tags } : {}),
      ...(prev?.detailsAt !== undefined ? { detailsAt: prev.detailsAt } : {}),
      error,
    },
    problems: [],
    lasting,
  });
  let cfgData: unknown;
  try {
    cfgData = await ctx.client.get(`${base}/config`, signal, { node: e.node });
  } catch (err) {
    const msg = failed(err, signal);
    lasting = isLasting(err);
    return keepPrev(msg);
  }
  const cfg = parseGuestConfig(e.type, cfgData);
  const problems = cfg.problems.map((p) => `${cluster}/${e.vmid} config: ${p}`);
  let live: GuestNic[] | undefined;
  let error: string | undefined;
  const running = e.status === "running";
  if (running && (e.type === "lxc" ? !ctx.noLxcInterfaces.has(e.node) : cfg.agent)) {
    const path = e.type === "qemu" ? `${base}/agent/network-get-interfaces` : `${base}/interfaces`;
    try {
      const data = await ctx.client.get(path, signal, { node: e.node });
      const r = e.type === "qemu" ? parseAgentInterfaces(data) : parseLxcInterfaces(data);
      if (r.ok) {
        live = r.nics;
        problems.push(...r.problems.map((p) => `${cluster}/${e.vmid}: ${p}`));
      } else {
        error = `proxmox[${cluster}] GET ${path}: ${r.error}`;
        lasting = /Unsupported|CommandDisabled|CommandNotFound/.test(r.error);
      }
    } catch (err) {
      const msg = failed(err, signal);
      if (e.type === "lxc" && err instanceof PipamError && err.code === "not_found") {
        ctx.noLxcInterfaces.add(e.node); // PVE < 8.1 has no interfaces endpoint: config only
      } else {
        error = msg;
        lasting = isLasting(err);
      }
    }
  }
  const nics = error !== undefined && sameBoot && prev !== undefined ? prev.nics : mergeNics(cfg.nics, live);
  const details: GuestDetails = { nics, tags: cfg.tags };
  if (cfg.name !== undefined) details.name = cfg.name;
  if (error === undefined) details.detailsAt = ctx.now();
  else {
    details.error = error;
    if (prev?.detailsAt !== undefined) details.detailsAt = prev.detailsAt;
  }
  return { details, problems, lasting };
}

function isLasting(err: unknown): boolean {
  return err instanceof PipamError && (err.code === "forbidden" || err.code === "auth");
}
