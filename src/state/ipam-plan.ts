/**
 * Desired + current NetBox objects → IpamChanges (pure).
 *
 * Ownership: pipam updates and deletes only objects carrying the tag. A desired VM matches the
 * tagged VM whose description holds its Proxmox identity (so renames are updates), else a tagged VM
 * without identity and the same name. An untagged VM with the same name in the same cluster (or an
 * untagged IP with the same host address) is a conflict, reported and left alone, unless `adopt`.
 * Adopting a VM also adopts its interfaces with the desired names.
 *
 * Deletes: a tagged VM no longer desired is deleted (its interfaces, MACs and IPs go with it in
 * NetBox, so they are not deleted separately); likewise an interface takes its MACs and IPs. An
 * IP whose interface goes away is recreated on its new interface; otherwise an IP that moves is
 * updated in place. Nothing is deleted when the inventory was partial.
 * Policies: sync = everything; upsert-only = no deletes; create-only = creates only.
 */
import type {
  IpamChanges,
  IpamCurrent,
  IpamDesired,
  IpamInterface,
  IpamIp,
  IpamMac,
  IpamPlanOptions,
  IpamVm,
} from "./ipam-types.ts";
import { hostOf, vmDescription } from "./ipam-types.ts";
import type { Changes, Conflict, GuestKey } from "./model.ts";
import { emptyChanges } from "./model.ts";

const lc = (s: string) => s.toLowerCase();
const nameKey = (cluster: string, name: string) => `${cluster}\u0000${lc(name)}`;

export function planIpam(desired: IpamDesired, current: IpamCurrent, opts: IpamPlanOptions): IpamChanges {
  const conflicts: Conflict[] = [...desired.conflicts];
  /** Deletes are planned only when they will happen: IPs under a surviving interface are then moved, not recreated. */
  const mayDelete = desired.complete && opts.policy === "sync";
  const vms = emptyChanges<IpamVm>();
  const ifaces = emptyChanges<IpamInterface>();
  const macs = emptyChanges<IpamMac>();
  const ips = emptyChanges<IpamIp>();

  // ---- VMs ------------------------------------------------------------------------------------
  const taggedByKey = new Map<GuestKey, IpamVm>();
  const taggedByName = new Map<string, IpamVm>();
  const untaggedByName = new Map<string, IpamVm>();
  for (const v of current.vms) {
    if (v.tagged && v.key && !taggedByKey.has(v.key)) taggedByKey.set(v.key, v);
    else if (v.tagged && !v.key) taggedByName.set(nameKey(v.cluster, v.name), v);
    else if (!v.tagged) untaggedByName.set(nameKey(v.cluster, v.name), v);
  }
  /** desired key → the current VM it maps to (matched or adopted). */
  const matched = new Map<GuestKey, IpamVm>();
  const created = new Set<GuestKey>();
  for (const d of desired.vms) {
    const key = d.key as GuestKey;
    const cur = taggedByKey.get(key) ?? taggedByName.get(nameKey(d.cluster, d.name));
    if (cur) {
      taggedByName.delete(nameKey(cur.cluster, cur.name));
      matched.set(key, cur);
      continue;
    }
    const foreign = untaggedByName.get(nameKey(d.cluster, d.name));
    if (foreign && !opts.adopt) {
      conflicts.push({
        kind: "foreign",
        subject: d.name,
        losers: [key],
        message: `NetBox VM "${foreign.name}" (id ${foreign.id}) in cluster "${d.cluster}" exists without tag "${opts.tag}"; not taken over (set adopt to take it)`,
      });
      continue;
    }
    if (foreign) matched.set(key, foreign);
    else created.add(key);
  }
  const kept = (k: GuestKey | undefined) => k !== undefined && (matched.has(k) || created.has(k));
  const matchedIds = new Set([...matched.values()].map((v) => v.id));
  const deletedVmIds = new Set<number>();
  for (const v of current.vms) {
    if (mayDelete && v.tagged && !matchedIds.has(v.id) && v.id !== undefined) {
      vms.delete.push(v);
      deletedVmIds.add(v.id);
    }
  }

  // A new VM whose name is held by a tagged VM that stays (e.g. under upsert-only) cannot be created.
  const survivors = new Map<string, IpamVm>();
  for (const v of current.vms) {
    if (v.tagged && v.id !== undefined && !deletedVmIds.has(v.id))
      survivors.set(nameKey(v.cluster, v.name), v);
  }
  for (const d of desired.vms) {
    const key = d.key as GuestKey;
    const holder = created.has(key) ? survivors.get(nameKey(d.cluster, d.name)) : undefined;
    if (!holder) continue;
    created.delete(key);
    conflicts.push({
      kind: "fqdn",
      subject: d.name,
      ...(holder.key ? { winner: holder.key } : {}),
      losers: [key],
      message: `NetBox VM "${holder.name}" (id ${holder.id}) in cluster "${d.cluster}" still belongs to ${holder.key ?? "another guest"}; ${key} is not synced`,
    });
  }

  // ---- Interfaces -----------------------------------------------------------------------------
  const curIfaces = new Map<string, IpamInterface>(); // `${vmId}/${name}`
  for (const i of current.interfaces) curIfaces.set(`${i.vmId}/${i.name}`, i);
  const curIfaceFor = (vm: GuestKey | undefined, name: string) => {
    const v = vm === undefined ? undefined : matched.get(vm);
    return v ? curIfaces.get(`${v.id}/${name}`) : undefined;
  };
  const keptIfaceIds = new Set<number>();
  const desiredIfaces = desired.interfaces.filter((i) => kept(i.vm));
  for (const d of desiredIfaces) {
    const cur = curIfaceFor(d.vm, d.name);
    if (cur?.id !== undefined) keptIfaceIds.add(cur.id);
  }
  /** Interfaces that disappear (deleted themselves or with their VM): their MACs and IPs go too. */
  const goneIfaceIds = new Set<number>();
  for (const i of current.interfaces) {
    if (i.id === undefined) continue;
    if (i.vmId !== undefined && deletedVmIds.has(i.vmId)) goneIfaceIds.add(i.id);
    else if (mayDelete && i.tagged && matchedIds.has(i.vmId) && !keptIfaceIds.has(i.id)) {
      ifaces.delete.push(i);
      goneIfaceIds.add(i.id);
    }
  }

  // ---- MACs -----------------------------------------------------------------------------------
  const macByIface = new Map<number, IpamMac[]>();
  for (const m of current.macs) {
    if (m.ifaceId === undefined) continue;
    const list = macByIface.get(m.ifaceId) ?? [];
    list.push(m);
    macByIface.set(m.ifaceId, list);
  }
  const keptMacIds = new Set<number>();
  const macIdFor = new Map<string, number>(); // `${vm}/${iface}` → kept MAC id
  for (const d of desired.macs.filter((m) => kept(m.vm))) {
    const iface = curIfaceFor(d.vm, d.iface);
    const existing = iface?.id === undefined ? undefined : macByIface.get(iface.id);
    const same = existing?.find((m) => lc(m.mac) === d.mac && !keptMacIds.has(m.id as number));
    if (same?.id !== undefined) {
      keptMacIds.add(same.id);
      macIdFor.set(`${d.vm}/${d.iface}`, same.id);
    } else macs.create.push(iface?.id === undefined ? { ...d } : { ...d, ifaceId: iface.id });
  }
  for (const m of current.macs) {
    if (!m.tagged || m.id === undefined || keptMacIds.has(m.id)) continue;
    if (m.ifaceId !== undefined && goneIfaceIds.has(m.ifaceId)) continue;
    macs.delete.push(m);
  }

  // ---- Interface creates/updates (after MACs: the primary MAC id is known when kept) ----------
  for (const d of desiredIfaces) {
    const cur = curIfaceFor(d.vm, d.name);
    const vm = matched.get(d.vm as GuestKey);
    const macId = macIdFor.get(`${d.vm}/${d.name}`);
    const next: IpamInterface = { ...d, tagged: true };
    if (macId !== undefined) next.macId = macId;
    if (!cur) {
      if (vm?.id !== undefined) next.vmId = vm.id;
      ifaces.create.push(next);
    } else if (!cur.tagged || (cur.mac ?? "") !== (d.mac ?? "")) {
      ifaces.updateOld.push(cur);
      ifaces.updateNew.push({ ...next, id: cur.id, vmId: cur.vmId } as IpamInterface);
    }
  }

  // ---- IPs ------------------------------------------------------------------------------------
  const curIps = new Map<string, IpamIp>();
  for (const ip of current.ips) curIps.set(hostOf(ip.address), ip);
  const keptIpIds = new Set<number>();
  const ipIdFor = new Map<string, number>(); // host → id of an unchanged or updated IP
  const skippedHosts = new Set<string>();
  for (const d of desired.ips.filter((i) => kept(i.vm))) {
    const host = hostOf(d.address);
    let cur = curIps.get(host);
    if (cur?.ifaceId !== undefined && goneIfaceIds.has(cur.ifaceId)) cur = undefined;
    const iface = curIfaceFor(d.vm, d.iface);
    const next: IpamIp =
      iface?.id === undefined ? { ...d, tagged: true } : { ...d, ifaceId: iface.id, tagged: true };
    if (!cur) {
      ips.create.push(next);
      continue;
    }
    if (!cur.tagged && !opts.adopt) {
      skippedHosts.add(host);
      conflicts.push({
        kind: "foreign",
        subject: host,
        losers: [d.vm as GuestKey],
        message: `NetBox IP address ${cur.address} (id ${cur.id}) exists without tag "${opts.tag}"; not taken over (set adopt to take it)`,
      });
      continue;
    }
    if (cur.id !== undefined) {
      keptIpIds.add(cur.id);
      ipIdFor.set(host, cur.id);
    }
    const same =
      cur.tagged &&
      cur.address === d.address &&
      lc(cur.dnsName) === d.dnsName &&
      iface?.id !== undefined &&
      cur.ifaceId === iface.id;
    if (!same) {
      ips.updateOld.push(cur);
      ips.updateNew.push({ ...next, id: cur.id } as IpamIp);
    }
  }
  for (const ip of current.ips) {
    if (!ip.tagged || ip.id === undefined || keptIpIds.has(ip.id)) continue;
    if (ip.ifaceId !== undefined && goneIfaceIds.has(ip.ifaceId)) continue;
    ips.delete.push(ip);
  }

  // ---- VM creates/updates (primary IPs need the IP side) --------------------------------------
  const ipsByVm = new Map<GuestKey, IpamIp[]>();
  for (const ip of desired.ips) {
    if (ip.vm === undefined || skippedHosts.has(hostOf(ip.address))) continue;
    const list = ipsByVm.get(ip.vm) ?? [];
    list.push(ip);
    ipsByVm.set(ip.vm, list);
  }
  for (const d of desired.vms) {
    const key = d.key as GuestKey;
    if (!kept(key)) continue;
    const next: IpamVm = { ...d, tagged: true, description: vmDescription(key) };
    const own = ipsByVm.get(key) ?? [];
    setPrimary(next, "primaryIp4", own.find((i) => !hostOf(i.address).includes(":"))?.address);
    setPrimary(next, "primaryIp6", own.find((i) => hostOf(i.address).includes(":"))?.address);
    const id4 = next.primaryIp4 ? ipIdFor.get(hostOf(next.primaryIp4)) : undefined;
    const id6 = next.primaryIp6 ? ipIdFor.get(hostOf(next.primaryIp6)) : undefined;
    if (id4 !== undefined) next.primaryIp4Id = id4;
    if (id6 !== undefined) next.primaryIp6Id = id6;
    const cur = matched.get(key);
    if (!cur) {
      vms.create.push(next);
      continue;
    }
    if (vmDiffers(next, cur)) {
      vms.updateOld.push(cur);
      vms.updateNew.push({ ...next, id: cur.id, status: next.status ?? cur.status } as IpamVm);
    }
  }

  const changes: IpamChanges = {
    clusters: desired.clusters.filter((c) => current.clusterIds[c] === undefined),
    vms,
    interfaces: ifaces,
    macs,
    ips,
    conflicts,
  };
  if (current.clusterTypeId === undefined) changes.clusterType = desired.clusterType;
  if (!desired.complete) dropDeletes(changes);
  return applyPolicy(changes, opts.policy);
}

function setPrimary(vm: IpamVm, field: "primaryIp4" | "primaryIp6", address: string | undefined) {
  if (address === undefined) delete vm[field];
  else vm[field] = address;
}

function vmDiffers(d: IpamVm, cur: IpamVm): boolean {
  return (
    !cur.tagged ||
    d.name !== cur.name ||
    d.cluster !== cur.cluster ||
    (d.status !== undefined && d.status !== cur.status) ||
    d.description !== cur.description ||
    (d.primaryIp4 ?? "") !== (cur.primaryIp4 ?? "") ||
    (d.primaryIp6 ?? "") !== (cur.primaryIp6 ?? "")
  );
}

function dropDeletes(c: IpamChanges): void {
  for (const k of [c.vms, c.interfaces, c.macs, c.ips] as Changes<unknown>[]) k.delete = [];
}

/** Filters a plan by policy (sync | upsert-only | create-only). */
export function applyPolicy(c: IpamChanges, policy: IpamPlanOptions["policy"]): IpamChanges {
  if (policy === "sync") return c;
  dropDeletes(c);
  if (policy === "create-only") {
    for (const k of [c.vms, c.interfaces, c.macs, c.ips] as Changes<unknown>[]) {
      k.updateOld = [];
      k.updateNew = [];
    }
  }
  return c;
}
