/**
 * NetBox JSON (generated types) ↔ pipam's IPAM model (pure). Reads compare on `.id`/`.value`;
 * writes send ids for related objects and `{slug}` for tags.
 */
import type {
  IpamCurrent,
  IpamInterface,
  IpamIp,
  IpamMac,
  IpamVm,
  NbVmStatus,
} from "../../../state/ipam-types.ts";
import { keyFromDescription } from "../../../state/ipam-types.ts";
import type { GuestKey } from "../../../state/model.ts";
import type { NbObject } from "./client.ts";

export const IFACE_TYPE = "virtualization.vminterface";

type NbVm = NbObject<"/api/virtualization/virtual-machines/">;
type NbIface = NbObject<"/api/virtualization/interfaces/">;
type NbMac = NbObject<"/api/dcim/mac-addresses/">;
type NbIp = NbObject<"/api/ipam/ip-addresses/">;

const slugs = (tags: { slug: string }[] | undefined) => (tags ?? []).map((t) => t.slug);

export function vmFromNetbox(v: NbVm, tag: string): IpamVm {
  const tags = slugs(v.tags);
  const out: IpamVm = {
    name: v.name,
    cluster: v.cluster?.name ?? "",
    status: (v.status?.value ?? "active") as NbVmStatus,
    id: v.id,
    tagged: tags.includes(tag),
    description: v.description ?? "",
    tags,
  };
  const key = keyFromDescription(v.description);
  if (key) out.key = key;
  if (v.primary_ip4?.address) out.primaryIp4 = v.primary_ip4.address;
  if (v.primary_ip6?.address) out.primaryIp6 = v.primary_ip6.address;
  return out;
}

export function ifaceFromNetbox(
  i: NbIface,
  tag: string,
  vmKey: (vmId: number) => GuestKey | undefined,
): IpamInterface {
  const tags = slugs(i.tags);
  const out: IpamInterface = {
    name: i.name,
    id: i.id,
    vmId: i.virtual_machine.id,
    tagged: tags.includes(tag),
    tags,
  };
  const key = vmKey(i.virtual_machine.id);
  if (key) out.vm = key;
  const mac = i.primary_mac_address?.mac_address;
  if (mac) out.mac = mac.toLowerCase();
  return out;
}

interface Assigned {
  assigned_object_type?: string | null;
  assigned_object_id?: number | null;
}

function ifaceOf(o: Assigned): number | undefined {
  return o.assigned_object_type === IFACE_TYPE && typeof o.assigned_object_id === "number"
    ? o.assigned_object_id
    : undefined;
}

export interface IfaceIndex {
  get(id: number): IpamInterface | undefined;
}

export function macFromNetbox(m: NbMac, tag: string, ifaces: IfaceIndex): IpamMac {
  const ifaceId = ifaceOf(m as Assigned);
  const iface = ifaceId === undefined ? undefined : ifaces.get(ifaceId);
  const out: IpamMac = {
    iface: iface?.name ?? "",
    mac: m.mac_address.toLowerCase(),
    id: m.id,
    tagged: slugs(m.tags).includes(tag),
  };
  if (ifaceId !== undefined) out.ifaceId = ifaceId;
  if (iface?.vm) out.vm = iface.vm;
  return out;
}

export function ipFromNetbox(p: NbIp, tag: string, ifaces: IfaceIndex): IpamIp {
  const ifaceId = ifaceOf(p as Assigned);
  const iface = ifaceId === undefined ? undefined : ifaces.get(ifaceId);
  const tags = slugs(p.tags);
  const out: IpamIp = {
    iface: iface?.name ?? "",
    address: p.address,
    dnsName: (p.dns_name ?? "").toLowerCase(),
    id: p.id,
    tagged: tags.includes(tag),
    tags,
  };
  if (ifaceId !== undefined) out.ifaceId = ifaceId;
  if (iface?.vm) out.vm = iface.vm;
  return out;
}

/** Assembles IpamCurrent from the lists read (deduplicated by id). */
export function currentFromNetbox(
  parts: {
    tagExists: boolean;
    clusterTypeId?: number;
    clusterIds: Record<string, number>;
    vms: NbVm[];
    ifaces: NbIface[];
    macs: NbMac[];
    ips: NbIp[];
  },
  tag: string,
): IpamCurrent {
  const vms = dedupe(parts.vms).map((v) => vmFromNetbox(v, tag));
  const keyById = new Map<number, GuestKey>();
  for (const v of vms) if (v.key && v.tagged && v.id !== undefined) keyById.set(v.id, v.key);
  const ifaces = dedupe(parts.ifaces).map((i) => ifaceFromNetbox(i, tag, (id) => keyById.get(id)));
  const ifaceById = new Map<number, IpamInterface>();
  for (const i of ifaces) if (i.id !== undefined) ifaceById.set(i.id, i);
  const out: IpamCurrent = {
    tagExists: parts.tagExists,
    clusterIds: parts.clusterIds,
    vms,
    interfaces: ifaces,
    macs: dedupe(parts.macs).map((m) => macFromNetbox(m, tag, ifaceById)),
    ips: dedupe(parts.ips).map((p) => ipFromNetbox(p, tag, ifaceById)),
  };
  if (parts.clusterTypeId !== undefined) out.clusterTypeId = parts.clusterTypeId;
  return out;
}

function dedupe<T extends { id: number }>(xs: T[]): T[] {
  const seen = new Set<number>();
  return xs.filter((x) => {
    if (seen.has(x.id)) return false;
    seen.add(x.id);
    return true;
  });
}
