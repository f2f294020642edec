/**
 * `GET /cluster/resources?type=vm` → one entry per guest. Pure. Tolerates what real clusters send:
 * `status: "unknown"` entries with no `name`/`template` (node not reporting), `vmid` as a string,
 * `name: ""`, tags separated by `;`, `,` or spaces, and non-guest entries (ignored).
 */
import type { GuestType } from "../../state/model.ts";
import { splitTags } from "./parse-config.ts";

export interface ResourceEntry {
  vmid: number;
  type: GuestType;
  node: string;
  /** running | stopped | unknown (lowercased). */
  status: string;
  /** undefined when Proxmox sent none (`status: unknown`). */
  name?: string;
  template: boolean;
  tags: string[];
  /** Seconds; undefined when not reported. */
  uptime?: number;
  lock?: string;
}

export interface ParsedResources {
  entries: ResourceEntry[];
  problems: string[];
}

export function parseResources(data: unknown): ParsedResources | { error: string } {
  if (!Array.isArray(data)) return { error: "guest list (/cluster/resources) is not a list" };
  const entries: ResourceEntry[] = [];
  const problems: string[] = [];
  data.forEach((e: unknown, i) => {
    if (e === null || typeof e !== "object") {
      problems.push(`guest list entry ${i}: not an object`);
      return;
    }
    const r = e as Record<string, unknown>;
    if (r.type !== "qemu" && r.type !== "lxc") return;
    const vmid = typeof r.vmid === "string" ? Number(r.vmid) : r.vmid;
    if (typeof vmid !== "number" || !Number.isInteger(vmid) || vmid <= 0) {
      problems.push(`guest list entry ${i} (${String(r.id)}): invalid vmid ${JSON.stringify(r.vmid)}`);
      return;
    }
    if (typeof r.node !== "string" || r.node === "") {
      problems.push(`guest list entry ${i} (vmid ${vmid}): missing node`);
      return;
    }
    const entry: ResourceEntry = {
      vmid,
      type: r.type,
      node: r.node,
      status: typeof r.status === "string" ? r.status.toLowerCase() : "unknown",
      template: r.template === 1 || r.template === "1" || r.template === true,
      tags: splitTags(r.tags),
    };
    if (typeof r.name === "string") entry.name = r.name;
    if (typeof r.uptime === "number" && Number.isFinite(r.uptime)) entry.uptime = r.uptime;
    if (typeof r.lock === "string") entry.lock = r.lock;
    entries.push(entry);
  });
  return { entries, problems };
}
