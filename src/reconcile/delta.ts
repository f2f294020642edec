/**
 * The reconciled state pipam keeps (in memory on a single node, in the Raft FSM in a cluster) and
 * the deltas that change it. Pure: the same delta applied to the same state gives the same state
 * on every node. An unchanged cycle produces an empty delta, which is never committed.
 */
import type { Guest, GuestKey, RRset } from "../state/model.ts";

/**
 * A desired rrset that is not at the provider as wanted, and why: the provider rejected it
 * ("rejected"), its name is held by records pipam does not own ("conflict"), or the policy held
 * the change back ("policy"). Retried on the next full reconcile, not on every cycle.
 */
export interface FailedEntry {
  rrset: RRset;
  kind: "rejected" | "conflict" | "policy";
  error: string;
  at: number;
}

export interface ReconcileState {
  /** Last collected inventory, by guest key. */
  guests: Map<GuestKey, Guest>;
  /** DNS rrsets pipam owns at the provider, as last applied (key: rrsetKey). */
  dnsOwned: Map<string, RRset>;
  /** Desired rrsets not applied as wanted (key: rrsetKey); retried on a full reconcile. */
  dnsFailed: Map<string, FailedEntry>;
  /** NetBox: signature of the desired objects last applied, and what failed then. */
  ipam: IpamState;
}

export interface IpamState {
  sig: string;
  failed: { kind: string; name: string; vm?: string; error: string }[];
}

export interface StateDelta {
  guestsPut: Guest[];
  guestsDel: GuestKey[];
  dnsPut: RRset[];
  dnsDel: string[];
  failedPut: FailedEntry[];
  failedDel: string[];
  /** Replaces the IPAM state when present. */
  ipam?: IpamState;
}

export function emptyState(): ReconcileState {
  return { guests: new Map(), dnsOwned: new Map(), dnsFailed: new Map(), ipam: { sig: "", failed: [] } };
}

export function emptyDelta(): StateDelta {
  return { guestsPut: [], guestsDel: [], dnsPut: [], dnsDel: [], failedPut: [], failedDel: [] };
}

export function isEmptyDelta(d: StateDelta): boolean {
  return (
    d.guestsPut.length +
      d.guestsDel.length +
      d.dnsPut.length +
      d.dnsDel.length +
      d.failedPut.length +
      d.failedDel.length ===
      0 && d.ipam === undefined
  );
}

export function rrsetKey(r: Pick<RRset, "name" | "type">): string {
  return `${r.name}|${r.type}`;
}

export function applyDelta(s: ReconcileState, d: StateDelta): void {
  for (const k of d.guestsDel) s.guests.delete(k);
  for (const g of d.guestsPut) s.guests.set(`${g.cluster}/${g.vmid}`, g);
  for (const k of d.dnsDel) s.dnsOwned.delete(k);
  for (const r of d.dnsPut) s.dnsOwned.set(rrsetKey(r), r);
  for (const k of d.failedDel) s.dnsFailed.delete(k);
  for (const f of d.failedPut) s.dnsFailed.set(rrsetKey(f.rrset), f);
  if (d.ipam) s.ipam = d.ipam;
}

/** Comparison key of a guest ignoring bookkeeping that changes without meaning (detailsAt). */
function guestSig(g: Guest): string {
  const { detailsAt: _ignored, ...rest } = g;
  return JSON.stringify(rest);
}

export function rrsetSig(r: RRset): string {
  return JSON.stringify([r.zone, r.name, r.type, r.ttl, r.records, r.guests ?? []]);
}

/** Delta that turns `prev` guests into `next` guests. */
export function diffGuests(
  prev: Map<GuestKey, Guest>,
  next: Guest[],
): Pick<StateDelta, "guestsPut" | "guestsDel"> {
  const seen = new Set<GuestKey>();
  const guestsPut: Guest[] = [];
  for (const g of next) {
    const k: GuestKey = `${g.cluster}/${g.vmid}`;
    seen.add(k);
    const old = prev.get(k);
    if (!old || guestSig(old) !== guestSig(g)) guestsPut.push(g);
  }
  const guestsDel = [...prev.keys()].filter((k) => !seen.has(k));
  return { guestsPut, guestsDel };
}

/** Delta that turns `prev` into `next` for a keyed map of rrsets. */
export function diffRRsets(
  prev: Map<string, RRset>,
  next: Map<string, RRset>,
): Pick<StateDelta, "dnsPut" | "dnsDel"> {
  const dnsPut: RRset[] = [];
  for (const [k, r] of next) {
    const old = prev.get(k);
    if (!old || rrsetSig(old) !== rrsetSig(r)) dnsPut.push(r);
  }
  const dnsDel = [...prev.keys()].filter((k) => !next.has(k));
  return { dnsPut, dnsDel };
}

/** JSON form (Raft entries, FSM snapshots). */
export function encodeState(s: ReconcileState): string {
  return JSON.stringify({
    guests: [...s.guests.values()],
    dnsOwned: [...s.dnsOwned.values()],
    dnsFailed: [...s.dnsFailed.values()],
    ipam: s.ipam,
  });
}

export function decodeState(text: string): ReconcileState {
  const o = JSON.parse(text) as {
    guests: Guest[];
    dnsOwned: RRset[];
    dnsFailed: FailedEntry[];
    ipam?: IpamState;
  };
  const s = emptyState();
  applyDelta(s, {
    ...emptyDelta(),
    guestsPut: o.guests,
    dnsPut: o.dnsOwned,
    failedPut: o.dnsFailed,
    ipam: o.ipam,
  });
  return s;
}
