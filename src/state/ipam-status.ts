/**
 * Per-guest state of its NetBox objects for status pages (pure): each desired VM and IP is
 * "conflict" (a conflict names the guest as loser), "failed" (the last apply refused it),
 * "pending" (the plan still has a change for it) or "in-sync". The shape matches the status
 * page's IpamObjectView ({object, state, error?}).
 */
import type { IpamChanges, IpamDesired, IpamRef } from "./ipam-types.ts";
import type { GuestKey } from "./model.ts";

export type IpamSyncState = "in-sync" | "pending" | "failed" | "conflict";

export interface IpamObjectState {
  /** "virtual-machine web1" or "ip-address 10.0.0.5/24". */
  object: string;
  state: IpamSyncState;
  error?: string;
}

export function ipamObjectStates(
  desired: IpamDesired,
  changes: IpamChanges,
  failed: readonly { item: IpamRef; error: string }[] = [],
): Map<GuestKey, IpamObjectState[]> {
  const out = new Map<GuestKey, IpamObjectState[]>();
  const add = (k: GuestKey, s: IpamObjectState) => {
    const list = out.get(k) ?? [];
    list.push(s);
    out.set(k, list);
  };
  /** VM-level conflicts by guest; IP-level ones by guest + host. */
  const vmConflict = new Map<GuestKey, { subject: string; message: string }>();
  const ipConflict = new Map<string, { key: GuestKey; host: string; message: string }>();
  for (const c of desired.conflicts.concat(changes.conflicts)) {
    for (const l of c.losers) {
      if (isIpLevel(c.kind, c.subject)) {
        const id = `${l}\u0000${c.subject}`;
        if (!ipConflict.has(id)) ipConflict.set(id, { key: l, host: c.subject, message: c.message });
      } else if (!vmConflict.has(l)) vmConflict.set(l, { subject: c.subject, message: c.message });
    }
  }
  const failedBy = new Map<string, string>();
  for (const f of failed) failedBy.set(`${f.item.kind}\u0000${f.item.vm ?? ""}\u0000${f.item.name}`, f.error);
  const pendingVm = new Set<GuestKey>();
  for (const v of [...changes.vms.create, ...changes.vms.updateNew]) if (v.key) pendingVm.add(v.key);
  for (const k of [changes.interfaces, changes.macs]) {
    for (const x of [...k.create, ...k.updateNew]) if (x.vm) pendingVm.add(x.vm);
  }
  const pendingIp = new Set([...changes.ips.create, ...changes.ips.updateNew].map((p) => p.address));

  const state = (
    key: GuestKey,
    kind: IpamRef["kind"],
    name: string,
    pending: boolean,
  ): Omit<IpamObjectState, "object"> => {
    const err = failedBy.get(`${kind}\u0000${key}\u0000${name}`);
    if (err !== undefined) return { state: "failed", error: err };
    // a guest whose VM is in conflict has none of its objects synced
    const conflict =
      vmConflict.get(key) ??
      (kind === "ip" ? ipConflict.get(`${key}\u0000${name.slice(0, name.indexOf("/"))}`) : undefined);
    if (conflict !== undefined) return { state: "conflict", error: conflict.message };
    return { state: pending ? "pending" : "in-sync" };
  };
  for (const v of desired.vms) {
    if (!v.key) continue;
    add(v.key, { object: `virtual-machine ${v.name}`, ...state(v.key, "vm", v.name, pendingVm.has(v.key)) });
  }
  for (const p of desired.ips) {
    if (!p.vm) continue;
    add(p.vm, {
      object: `ip-address ${p.address}`,
      ...state(p.vm, "ip", p.address, pendingIp.has(p.address)),
    });
  }
  const hasVm = new Set(desired.vms.map((v) => v.key));
  for (const [key, c] of vmConflict) {
    if (!hasVm.has(key))
      add(key, { object: `virtual-machine ${c.subject}`, state: "conflict", error: c.message });
  }
  const hasIp = new Set(desired.ips.map((p) => `${p.vm}\u0000${p.address.slice(0, p.address.indexOf("/"))}`));
  for (const [id, c] of ipConflict) {
    if (!hasIp.has(id)) add(c.key, { object: `ip-address ${c.host}`, state: "conflict", error: c.message });
  }
  return out;
}

function isIpLevel(kind: string, subject: string): boolean {
  return kind === "ip" || subject.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(subject);
}
