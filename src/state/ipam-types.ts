/**
 * The IPAM (NetBox) side of the domain model: desired and current objects in one plain,
 * serialisable shape, so a plan can be printed for dry-run and applied by any IPAM provider.
 *
 * Identity: a VM is identified by its Proxmox identity (`cluster/vmid`, a GuestKey), which pipam
 * stores in the VM's `description` as `pipam:<cluster>/<vmid>` (see `vmDescription`). So a rename in
 * Proxmox renames the NetBox VM instead of creating a new one. Interfaces are identified by
 * (VM, name); MAC objects by (interface, MAC); IP objects by their host address (NetBox enforces
 * global uniqueness of the host address, ENFORCE_GLOBAL_UNIQUE).
 *
 * Ids (`id`, `vmId`, `ifaceId`) are NetBox's primary keys on the current side; the desired side has none.
 */
import type { Changes, Conflict, GuestKey, Policy } from "./model.ts";

/** NetBox VM statuses (WritableVirtualMachineWithConfigContextRequest.status). */
export type NbVmStatus =
  | "offline"
  | "active"
  | "planned"
  | "staged"
  | "failed"
  | "decommissioning"
  | "paused";

export interface IpamVm {
  /** Proxmox identity; undefined on the current side when the description carries none. */
  key?: GuestKey;
  name: string;
  /** NetBox cluster name. */
  cluster: string;
  /** undefined = unknown (Proxmox said "unknown"): keep what NetBox has. */
  status?: NbVmStatus;
  /** CIDR text of the primary IPv4/IPv6 (must be one of this VM's IPs). */
  primaryIp4?: string;
  primaryIp6?: string;
  /** Ids of those IPs when they already exist and are kept (set by the plan). */
  primaryIp4Id?: number;
  primaryIp6Id?: number;
  /** Current side: NetBox id, and whether it carries the ownership tag. */
  id?: number;
  tagged?: boolean;
  /** Current side: the VM's description (holds the identity marker). */
  description?: string;
  /** Current side: every tag slug on the object (kept when adopting). */
  tags?: string[];
}

export interface IpamInterface {
  vm?: GuestKey;
  name: string;
  /** Lowercase MAC of the interface's primary MAC object. */
  mac?: string;
  /** Id of that MAC object when it already exists and is kept (set by the plan). */
  macId?: number;
  id?: number;
  vmId?: number;
  tagged?: boolean;
  tags?: string[];
}

export interface IpamMac {
  vm?: GuestKey;
  iface: string;
  /** Lowercase aa:bb:cc:dd:ee:ff. */
  mac: string;
  id?: number;
  ifaceId?: number;
  tagged?: boolean;
}

export interface IpamIp {
  vm?: GuestKey;
  iface: string;
  /** CIDR text with the prefix length, e.g. "10.0.0.5/24", "2001:db8::5/64". */
  address: string;
  /** Lowercase FQDN without the trailing dot, or "". */
  dnsName: string;
  id?: number;
  ifaceId?: number;
  tagged?: boolean;
  tags?: string[];
}

export interface IpamDesired {
  /** Cluster type slug (also its name). */
  clusterType: string;
  /** NetBox cluster names, sorted. */
  clusters: string[];
  vms: IpamVm[];
  interfaces: IpamInterface[];
  macs: IpamMac[];
  ips: IpamIp[];
  /** Guests that could not be mapped (duplicate names, duplicate IPs). */
  conflicts: Conflict[];
  /** False when the inventory was partial: the plan then never deletes. */
  complete: boolean;
}

export interface IpamCurrent {
  tagExists: boolean;
  clusterTypeId?: number;
  /** NetBox cluster name → id (the clusters pipam maps to that exist). */
  clusterIds: Record<string, number>;
  /** Tagged VMs anywhere, plus every VM of the managed clusters (for name conflicts). */
  vms: IpamVm[];
  /** Interfaces of those VMs. */
  interfaces: IpamInterface[];
  /** Tagged MAC objects. */
  macs: IpamMac[];
  /** Tagged IPs, plus untagged IPs whose host address pipam wants (for conflicts). */
  ips: IpamIp[];
}

export interface IpamChanges {
  /** Cluster type to create (slug), if missing. */
  clusterType?: string;
  /** Clusters to create. */
  clusters: string[];
  vms: Changes<IpamVm>;
  interfaces: Changes<IpamInterface>;
  macs: Changes<IpamMac>;
  ips: Changes<IpamIp>;
  conflicts: Conflict[];
}

export interface IpamPlanOptions {
  /** The ownership tag slug (default "pipam"). */
  tag: string;
  /** Take over untagged VMs/IPs with the same name/address instead of reporting a conflict. */
  adopt: boolean;
  policy: Policy;
}

/** Names an object in an apply failure: its kind and a readable name. */
export interface IpamRef {
  kind: "tag" | "cluster-type" | "cluster" | "vm" | "interface" | "mac" | "ip";
  /** VM name, `<vm>/eth0`, MAC, address, cluster or tag name. */
  name: string;
  vm?: GuestKey;
  id?: number;
}

export const DESCRIPTION_PREFIX = "pipam:";

/** The description that carries a VM's Proxmox identity. */
export function vmDescription(key: GuestKey): string {
  return `${DESCRIPTION_PREFIX}${key}`;
}

/** The GuestKey in a description written by `vmDescription`, or undefined. */
export function keyFromDescription(description: string | undefined): GuestKey | undefined {
  if (!description?.startsWith(DESCRIPTION_PREFIX)) return undefined;
  const m = /^(.+)\/(\d+)$/.exec(description.slice(DESCRIPTION_PREFIX.length).trim());
  if (!m) return undefined;
  return `${m[1]}/${Number(m[2])}` as GuestKey;
}

/** The host part of a CIDR ("10.0.0.5/24" → "10.0.0.5"). */
export function hostOf(address: string): string {
  const i = address.indexOf("/");
  return (i < 0 ? address : address.slice(0, i)).toLowerCase();
}

export function ipamChangeCount(c: IpamChanges): number {
  let n = (c.clusterType ? 1 : 0) + c.clusters.length;
  for (const k of [c.vms, c.interfaces, c.macs, c.ips] as Changes<unknown>[]) {
    n += k.create.length + k.updateNew.length + k.delete.length;
  }
  return n;
}
