/**
 * One reconcile cycle, as in external-dns's controller:
 *  * Ask the Source (Proxmox) for the inventory; commit the inventory delta.
 *  * Derive the desired rrsets from it (pure).
 *  * Compare with what pipam owns (its reconciled state). If nothing differs and this is not a
 *    full reconcile, stop: an unchanged cycle sends no request to the DNS provider at all.
 *  * Otherwise read the provider's current records (so a name held by a foreign record is seen),
 *    plan (pure), apply the policy (pure), apply the changes, and commit the reconciled result.
 * A failed or partial collection never deletes: deletes are only planned from a complete inventory.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { HealthCheck } from "../lib/health.ts";
import type { Logger } from "../log/logger.ts";
import type { ApplyFailure, ApplyResult, DnsProvider } from "../providers/provider.ts";
import { deleteGuard } from "../state/delete-guard.ts";
import { type DnsRules, deriveDns } from "../state/derive-dns.ts";
import { deriveIpam, dnsNamesFromRRsets, type IpamDeriveOptions } from "../state/ipam-derive.ts";
import { planIpam } from "../state/ipam-plan.ts";
import type { IpamChanges, IpamCurrent, IpamDesired, IpamPlanOptions, IpamRef } from "../state/ipam-types.ts";
import {
  type Changes,
  type Conflict,
  changeCount,
  emptyChanges,
  type Guest,
  type Inventory,
  type Policy,
  type RRset,
} from "../state/model.ts";
import { plan } from "../state/plan.ts";
import { applyPolicy } from "../state/policy.ts";
import { diffGuests, emptyDelta, type FailedEntry, rrsetKey, rrsetSig, type StateDelta } from "./delta.ts";
import type { StateStore } from "./store.ts";

export interface Source {
  collect(signal: AbortSignal): Promise<Inventory>;
}

export interface DnsTarget {
  provider: DnsProvider;
  rules: Omit<DnsRules, "reverseZones">;
  ownerId: string;
  policy: Policy;
}

/** NetBox: the provider (read/apply) and the options of the pure derive and plan. */
export interface IpamTarget {
  provider: {
    read(signal: AbortSignal, desired?: IpamDesired): Promise<IpamCurrent>;
    apply(changes: IpamChanges, signal: AbortSignal): Promise<ApplyResult<IpamRef>>;
    health(signal: AbortSignal): Promise<HealthCheck[]>;
  };
  derive: Omit<IpamDeriveOptions, "dnsNames">;
  plan: IpamPlanOptions;
}

export interface ReconcilerDeps {
  source: Source;
  dns?: DnsTarget;
  ipam?: IpamTarget;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  /** Called after each cycle (metrics, status page). */
  onCycle?: (report: CycleReport) => void;
}

export interface CycleReport {
  startedAt: number;
  durationMs: number;
  full: boolean;
  dryRun: boolean;
  /** Provider writes were skipped because this node may not write (cluster follower). */
  skipped: boolean;
  guests: number;
  inventoryComplete: boolean;
  /** Every rrset derived from the inventory this cycle (status page). */
  desired: RRset[];
  changes: Changes<RRset>;
  applied: number;
  failed: ApplyFailure<RRset>[];
  conflicts: Conflict[];
  /** Guest/IP-level skips from derive (reason per guest or address). */
  skips: { guest: string; ip?: string; reason: string }[];
  /** Errors of this cycle (a failed guest list, provider). Empty = success. */
  errors: string[];
  /** Per-guest problems (details unreadable; the guest is kept with its last known data). */
  warnings: string[];
  /** PowerDNS requests that wrote (PATCH/POST). */
  writes: number;
  /** Whether the provider was read this cycle. */
  providerRead: boolean;
  /** NetBox part of the cycle (absent without [ipam]). */
  ipam?: {
    read: boolean;
    desired?: IpamDesired;
    changes?: IpamChanges;
    /** The changes were written (not a dry run, not skipped, apply did not throw). */
    appliedOk?: boolean;
    applied: number;
    failed: ApplyFailure<IpamRef>[];
    writes: number;
  };
}

export interface CycleOptions {
  full: boolean;
  dryRun?: boolean;
  /** Use this inventory instead of collecting (e.g. `clean --collect`). */
  inventory?: Inventory;
}

export interface Reconciler {
  runCycle(opts: CycleOptions, signal: AbortSignal): Promise<CycleReport>;
  /** Last cycle's report (status page). */
  last(): CycleReport | undefined;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const { store, clock, logger } = deps;
  let reverseZones: string[] | undefined;
  let lastReport: CycleReport | undefined;

  async function runCycle(opts: CycleOptions, signal: AbortSignal): Promise<CycleReport> {
    const startedAt = clock.now();
    const report: CycleReport = {
      startedAt,
      durationMs: 0,
      full: opts.full,
      dryRun: opts.dryRun ?? false,
      skipped: false,
      guests: 0,
      inventoryComplete: false,
      desired: [],
      changes: emptyChanges(),
      applied: 0,
      failed: [],
      conflicts: [],
      skips: [],
      errors: [],
      warnings: [],
      writes: 0,
      providerRead: false,
    };
    const finish = () => {
      report.durationMs = clock.now() - startedAt;
      lastReport = report;
      deps.onCycle?.(report);
      return report;
    };

    // 1. collect
    let inv: Inventory;
    try {
      inv = opts.inventory ?? (await deps.source.collect(signal));
    } catch (err) {
      report.errors.push(`collect: ${errorMessage(err)}`);
      logger.error("collection failed; keeping the previous state", { error: errorMessage(err) });
      return finish();
    }
    inv = carryStoppedAddresses(store.state().guests, inv);
    report.guests = inv.guests.length;
    report.inventoryComplete = inv.complete;
    for (const e of inv.errors) {
      const where = [e.cluster, e.node, e.vmid].filter((x) => x !== undefined).join("/");
      (e.vmid === undefined ? report.errors : report.warnings).push(`collect ${where}: ${e.message}`);
    }
    if (!opts.dryRun && store.canWrite() && !opts.inventory) {
      await store.commit({ ...emptyDelta(), ...diffGuests(store.state().guests, inv.guests) }, signal);
    }

    const desiredDns = deps.dns ? await dnsPart(deps.dns, inv, opts, report, signal) : [];
    if (deps.ipam) await ipamPart(deps.ipam, inv, desiredDns, opts, report, signal);
    report.conflicts = dedupeConflicts(report.conflicts);
    return finish();
  }

  /** The DNS half of a cycle; returns the desired rrsets (NetBox's dns_name comes from them). */
  async function dnsPart(
    dns: DnsTarget,
    inv: Inventory,
    opts: CycleOptions,
    report: CycleReport,
    signal: AbortSignal,
  ): Promise<RRset[]> {
    const finish = () => report.desired;

    // 2. derive
    try {
      if (reverseZones === undefined || opts.full) {
        reverseZones = dns.rules.ptr
          ? (await dns.provider.zones(signal)).filter((z) => z.endsWith(".arpa."))
          : [];
      }
    } catch (err) {
      report.errors.push(`dns zones: ${errorMessage(err)}`);
      return finish();
    }
    const derived = deriveDns(
      inv,
      { ...dns.rules, reverseZones },
      { previous: store.state().dnsOwned.values() },
    );
    report.desired = derived.rrsets;
    report.conflicts.push(...derived.conflicts);
    report.skips.push(...derived.skipped.map((s) => ({ guest: s.guest, ip: s.ip, reason: s.reason })));

    // 3. cheap check against what we own
    const state = store.state();
    const desiredByKey = new Map(derived.rrsets.map((r) => [rrsetKey(r), r]));
    const allowDelete = deleteGuard(inv, derived.held, state.dnsOwned.values());
    const deletesMatter = (rr: RRset) => dns.policy === "sync" && allowDelete(rr);
    if (!opts.full && !differs(desiredByKey, state.dnsOwned, state.dnsFailed, deletesMatter)) return finish();

    // 4. read, plan, policy
    let current: RRset[];
    try {
      current = await dns.provider.records(signal);
      report.providerRead = true;
    } catch (err) {
      report.errors.push(`dns read: ${errorMessage(err)}`);
      logger.error("reading DNS failed; nothing applied", { error: errorMessage(err) });
      return finish();
    }
    const planned = plan(derived.rrsets, current, dns.ownerId, { allowDelete });
    report.conflicts.push(...planned.conflicts);
    const changes = applyPolicy(dns.policy, planned.changes);
    report.changes = changes;
    if (opts.dryRun) return finish();
    if (!store.canWrite()) {
      report.skipped = true;
      return finish();
    }

    // 5. apply
    let failed: ApplyFailure<RRset>[] = [];
    if (changeCount(changes) > 0) {
      try {
        const res = await dns.provider.apply(changes, signal);
        report.applied = res.applied;
        report.writes = res.writes;
        failed = res.failed;
        report.failed = failed;
        // A rejected rrset is reported, not a failed cycle: the rest was applied, and it is
        // retried on the next full reconcile.
        for (const f of failed)
          report.warnings.push(`dns ${f.item.name} ${f.item.type} rejected: ${f.error}`);
      } catch (err) {
        report.errors.push(`dns apply: ${errorMessage(err)}`);
        logger.error("applying DNS changes failed; will retry", { error: errorMessage(err) });
        // Reconcile state from what we read: nothing of this cycle's changes is assumed applied.
        const d = ownedDelta(
          state.dnsOwned,
          current,
          emptyChanges(),
          [],
          dns.ownerId,
          desiredByKey,
          state,
          clock,
          dns.policy,
        );
        await store.commit({ ...d, failedPut: [], failedDel: [] }, signal);
        return finish();
      }
    }
    await store.commit(
      ownedDelta(
        state.dnsOwned,
        current,
        changes,
        failed,
        dns.ownerId,
        desiredByKey,
        state,
        clock,
        dns.policy,
      ),
      signal,
    );
    if (changeCount(changes) > 0) {
      logger.info("dns changes applied", {
        create: changes.create.length,
        update: changes.updateNew.length,
        delete: changes.delete.length,
        failed: failed.length,
      });
    }
    return finish();
  }

  /**
   * The NetBox half: derive (pure) → compare the desired objects' signature with the one last
   * applied → only when it differs (or on a full reconcile) read NetBox, plan, apply, commit.
   */
  async function ipamPart(
    ipam: IpamTarget,
    inv: Inventory,
    desiredDns: RRset[],
    opts: CycleOptions,
    report: CycleReport,
    signal: AbortSignal,
  ): Promise<void> {
    const part: NonNullable<CycleReport["ipam"]> = { read: false, applied: 0, failed: [], writes: 0 };
    report.ipam = part;
    const desired = deriveIpam(inv, { ...ipam.derive, dnsNames: dnsNamesFromRRsets(desiredDns) });
    report.conflicts.push(...desired.conflicts);
    const sig = createHash("sha256")
      .update(
        JSON.stringify([
          desired.clusterType,
          desired.clusters,
          desired.vms,
          desired.interfaces,
          desired.macs,
          desired.ips,
        ]),
      )
      .digest("hex");
    if (!opts.full && store.state().ipam.sig === sig) return;
    let current: IpamCurrent;
    try {
      current = await ipam.provider.read(signal, desired);
      part.read = true;
    } catch (err) {
      report.errors.push(`netbox read: ${errorMessage(err)}`);
      logger.error("reading NetBox failed; nothing applied", { error: errorMessage(err) });
      return;
    }
    const changes = planIpam(desired, current, ipam.plan);
    part.desired = desired;
    part.changes = changes;
    report.conflicts.push(...changes.conflicts);
    if (opts.dryRun) return;
    if (!store.canWrite()) {
      report.skipped = true;
      return;
    }
    try {
      const res = await ipam.provider.apply(changes, signal);
      part.applied = res.applied;
      part.failed = res.failed;
      part.writes = res.writes;
      part.appliedOk = true;
      for (const f of res.failed)
        report.warnings.push(`netbox ${f.item.kind} ${f.item.name} rejected: ${f.error}`);
      const failed = res.failed.map((f) => ({
        kind: f.item.kind,
        name: f.item.name,
        vm: f.item.vm,
        error: f.error,
      }));
      await store.commit({ ...emptyDelta(), ipam: { sig, failed } }, signal);
      if (res.writes > 0)
        logger.info("netbox changes applied", { applied: res.applied, failed: res.failed.length });
    } catch (err) {
      report.errors.push(`netbox apply: ${errorMessage(err)}`);
      logger.error("applying NetBox changes failed; will retry", { error: errorMessage(err) });
    }
  }

  return { runCycle, last: () => lastReport };
}

/** Would the desired rrsets change anything we own (ignoring entries that failed with the same value)? */
function differs(
  desired: Map<string, RRset>,
  owned: Map<string, RRset>,
  failed: Map<string, FailedEntry>,
  allowDelete: (rr: RRset) => boolean,
): boolean {
  for (const [k, r] of desired) {
    const o = owned.get(k);
    if (o && sameContent(o, r)) continue;
    const f = failed.get(k);
    if (f && sameContent(f.rrset, r)) continue;
    return true;
  }
  for (const [k, r] of owned) if (!desired.has(k) && allowDelete(r)) return true;
  return false;
}

function sameContent(a: RRset, b: RRset): boolean {
  return a.ttl === b.ttl && a.records.join(",") === b.records.join(",") && a.zone === b.zone;
}

/**
 * The state delta after applying `changes` on top of `current`: the owned set as it now is at the
 * provider (a rejected change keeps the old value), and every desired rrset that did not end up
 * there as wanted, with the reason (rejected / conflict / policy).
 */
function ownedDelta(
  prevOwned: Map<string, RRset>,
  current: RRset[],
  changes: Changes<RRset>,
  failed: ApplyFailure<RRset>[],
  ownerId: string,
  desired: Map<string, RRset>,
  state: { dnsFailed: Map<string, FailedEntry> },
  clock: Clock,
  policy: Policy,
): StateDelta {
  const failedBy = new Map(failed.map((f) => [rrsetKey(f.item), f.error]));
  const next = new Map<string, RRset>();
  for (const r of current) {
    if (r.owner !== ownerId) continue;
    const want = desired.get(rrsetKey(r));
    // keep the desired form (it names the guests) when the provider already holds exactly that
    next.set(rrsetKey(r), strip(want && sameContent(want, r) ? { ...want, owner: ownerId } : r));
  }
  for (const r of [...changes.create, ...changes.updateNew]) {
    if (!failedBy.has(rrsetKey(r))) next.set(rrsetKey(r), strip({ ...r, owner: ownerId }));
  }
  for (const r of changes.delete) if (!failedBy.has(rrsetKey(r))) next.delete(rrsetKey(r));
  const d = emptyDelta();
  for (const [k, r] of next) {
    const old = prevOwned.get(k);
    if (!old || rrsetSig(old) !== rrsetSig(r)) d.dnsPut.push(r);
  }
  for (const k of prevOwned.keys()) if (!next.has(k)) d.dnsDel.push(k);
  const now = clock.now();
  const foreignHeld = new Set(current.filter((r) => r.owner !== ownerId).map((r) => r.name));
  const unsynced = new Map<string, FailedEntry>();
  for (const [k, want] of desired) {
    const have = next.get(k);
    if (have && sameContent(have, want)) continue;
    const rejected = failedBy.get(k);
    const entry: FailedEntry = rejected
      ? { rrset: want, kind: "rejected", error: rejected, at: now }
      : foreignHeld.has(want.name)
        ? { rrset: want, kind: "conflict", error: "the name is held by records pipam does not own", at: now }
        : { rrset: want, kind: "policy", error: `held back by policy ${policy}`, at: now };
    unsynced.set(k, entry);
  }
  for (const [k, f] of unsynced) {
    const old = state.dnsFailed.get(k);
    if (!old || old.kind !== f.kind || old.error !== f.error || rrsetSig(old.rrset) !== rrsetSig(f.rrset)) {
      d.failedPut.push(f);
    }
  }
  for (const k of state.dnsFailed.keys()) if (!unsynced.has(k)) d.failedDel.push(k);
  return d;
}

/** Owned rrsets as stored: the desired-side `guests` kept, provider-side `owner` normalised. */
function strip(r: RRset): RRset {
  return {
    zone: r.zone,
    name: r.name,
    type: r.type,
    ttl: r.ttl,
    records: r.records,
    owner: r.owner,
    guests: r.guests,
  };
}

/**
 * A stopped guest has no live interfaces (no agent, no LXC interfaces call), so unless its config
 * names static addresses it would come back with none and lose its records. It keeps the
 * addresses last seen while it ran (from the reconciled state: replicated in a cluster; on a
 * single node in memory and in state.json, see file-store.ts), so stopping a VM does not remove
 * its name, also across a restart.
 */
export function carryStoppedAddresses(prev: Map<string, Guest>, inv: Inventory): Inventory {
  let changed = false;
  const guests = inv.guests.map((g) => {
    if (g.status === "running" || g.nics.some((n) => n.addresses.length > 0)) return g;
    const old = prev.get(`${g.cluster}/${g.vmid}`);
    if (!old?.nics.some((n) => n.addresses.length > 0)) return g;
    changed = true;
    return { ...g, nics: old.nics };
  });
  return changed ? { ...inv, guests } : inv;
}

function dedupeConflicts(list: Conflict[]): Conflict[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    const k = `${c.kind}|${c.subject}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
