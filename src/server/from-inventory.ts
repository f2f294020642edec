/**
 * @module Builds `GuestView`s from the collector's `Inventory` and, optionally, the desired rrsets
 * (as "pending" until a provider state is known). A helper for whoever implements `StatusSource`.
 */
import type { GuestKey, Inventory, RRset } from "../state/model.ts";
import type { DnsRecordView, GuestView, SyncState } from "./status.ts";

export interface RecordStates {
  /** State of one rrset at one provider, keyed by `${name} ${type}`; missing = "pending". */
  dns?: (rr: RRset) => { state: SyncState; provider?: string; error?: string } | undefined;
}

export function guestViewsFromInventory(
  inv: Inventory,
  desired: RRset[] = [],
  states: RecordStates = {},
): GuestView[] {
  const byGuest = new Map<GuestKey, DnsRecordView[]>();
  for (const rr of desired) {
    const st = states.dns?.(rr) ?? { state: "pending" as const };
    const view: DnsRecordView = { name: rr.name, type: rr.type, records: rr.records, ...st };
    for (const key of rr.guests ?? []) {
      const list = byGuest.get(key);
      if (list) list.push(view);
      else byGuest.set(key, [view]);
    }
  }
  return inv.guests.map((g) => {
    const key: GuestKey = `${g.cluster}/${g.vmid}`;
    return {
      key,
      cluster: g.cluster,
      node: g.node,
      vmid: g.vmid,
      type: g.type,
      name: g.name,
      status: g.status,
      ips: g.nics.flatMap((n) => n.addresses.map((a) => ({ ip: a.ip, source: a.source }))),
      ...(g.error ? { error: g.error } : {}),
      dns: byGuest.get(key) ?? [],
      netbox: [],
    };
  });
}
