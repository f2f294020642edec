/**
 * Implements the status page's StatusSource from the reconciler's last report and the reconciled
 * state (single node and cluster alike; the cluster passes its Raft view in `node`/`peers`).
 */

import { rrsetKey } from "../reconcile/delta.ts";
import type { CycleReport } from "../reconcile/reconciler.ts";
import type { StateStore } from "../reconcile/store.ts";
import { guestViewsFromInventory } from "../server/from-inventory.ts";
import type {
  CycleView,
  GuestView,
  IpamObjectView,
  NodeView,
  PeerView,
  ProviderHealthView,
  StatusSnapshot,
  StatusSource,
  SyncState,
} from "../server/status.ts";
import { memoize } from "../server/status.ts";
import { ipamObjectStates } from "../state/ipam-status.ts";
import type { IpamChanges } from "../state/ipam-types.ts";
import { emptyChanges, type RRset } from "../state/model.ts";

export interface StatusSourceOptions {
  store: StateStore;
  mode: "single" | "cluster";
  node: () => NodeView;
  peers?: () => PeerView[];
  providers?: () => ProviderHealthView[];
  /** How many cycles to keep (default 20). */
  keep?: number;
}

export interface LiveStatus extends StatusSource {
  /** Feed every cycle report here (the reconciler's onCycle). */
  record(report: CycleReport): void;
}

export function createStatusSource(opts: StatusSourceOptions): LiveStatus {
  const cycles: CycleView[] = [];
  let last: CycleReport | undefined;
  let netbox: Map<string, IpamObjectView[]> | undefined;
  const keep = opts.keep ?? 20;
  // Guest views are rebuilt at most once a second (or after a cycle), not per request.
  const guestViews = memoize(
    () => buildGuests(),
    () => [last, Math.floor(Date.now() / 1000)],
  );
  function buildGuests(): GuestView[] {
    const state = opts.store.state();
    const guests = [...state.guests.values()].sort((a, b) =>
      a.cluster === b.cluster ? a.vmid - b.vmid : a.cluster < b.cluster ? -1 : 1,
    );
    const conflictNames = new Set((last?.conflicts ?? []).map((c) => c.subject));
    const dnsState = (rr: RRset): { state: SyncState; error?: string; provider: string } => {
      const k = rrsetKey(rr);
      const failed = state.dnsFailed.get(k);
      if (failed)
        return {
          state: failed.kind === "conflict" ? "conflict" : "failed",
          error: failed.error,
          provider: "powerdns",
        };
      const owned = state.dnsOwned.get(k);
      if (owned && owned.ttl === rr.ttl && owned.records.join(",") === rr.records.join(",")) {
        return { state: "in-sync", provider: "powerdns" };
      }
      if (conflictNames.has(rr.name) || conflictNames.has(rr.name.replace(/\.$/, ""))) {
        return { state: "conflict", provider: "powerdns" };
      }
      return { state: "pending", provider: "powerdns" };
    };
    const views = guestViewsFromInventory(
      { guests, collectedAt: last?.startedAt ?? 0, complete: true, errors: [] },
      last?.desired ?? [],
      { dns: dnsState },
    );
    if (netbox) for (const v of views) v.netbox = netbox.get(v.key) ?? [];
    return views;
  }
  return {
    record(report) {
      last = report;
      const nb = report.ipam;
      if (nb?.desired && nb.changes) {
        const pending: IpamChanges = nb.appliedOk
          ? {
              ...nb.changes,
              vms: emptyChanges(),
              interfaces: emptyChanges(),
              macs: emptyChanges(),
              ips: emptyChanges(),
            }
          : nb.changes;
        netbox = new Map(
          [...ipamObjectStates(nb.desired, pending, nb.failed)].map(([k, list]) => [
            k,
            list.map((o) => ({ ...o, provider: "netbox" })),
          ]),
        );
      }
      cycles.unshift({
        startedAt: report.startedAt,
        durationMs: report.durationMs,
        changes: report.applied,
        errors: report.errors.slice(0, 20),
        kind: report.full ? "full" : report.providerRead ? "reconcile" : "collect",
      });
      cycles.length = Math.min(cycles.length, keep);
    },
    snapshot(): StatusSnapshot {
      return {
        mode: opts.mode,
        node: opts.node(),
        peers: opts.peers?.() ?? [],
        cycles,
        guests: guestViews(),
        conflicts: last?.conflicts ?? [],
        providers: opts.providers?.() ?? providersFrom(last),
      };
    },
  };
}

/**
 * Provider health as the last cycle saw it (free: no extra API calls). A provider the cycle did
 * not need to contact keeps "ok" until an error says otherwise.
 */
export function providersFrom(r: CycleReport | undefined): ProviderHealthView[] {
  if (!r) return [];
  const at = r.startedAt;
  const errs = (prefix: string) => r.errors.filter((e) => e.startsWith(prefix));
  const views: ProviderHealthView[] = [];
  const collect = errs("collect");
  views.push({
    name: "proxmox",
    ok: collect.length === 0,
    detail:
      collect.length === 0
        ? `${r.guests} guests${r.warnings.length ? `, ${r.warnings.length} with errors` : ""}`
        : collect.slice(0, 2).join("; "),
    checkedAt: at,
  });
  if (r.desired.length > 0 || errs("dns").length > 0 || r.providerRead) {
    const dns = errs("dns");
    views.push({
      name: "powerdns",
      ok: dns.length === 0,
      detail:
        dns.length === 0
          ? `${r.desired.length} rrsets desired${r.providerRead ? ", read this cycle" : ""}`
          : dns.slice(0, 2).join("; "),
      checkedAt: at,
    });
  }
  if (r.ipam) {
    const nb = errs("netbox");
    views.push({
      name: "netbox",
      ok: nb.length === 0,
      detail: nb.length === 0 ? (r.ipam.read ? "read this cycle" : "unchanged") : nb.slice(0, 2).join("; "),
      checkedAt: at,
    });
  }
  return views;
}
