/**
 * @module The view model the status page renders. The server owns (consumes) this interface;
 * the reconcile loop / raft node implement `StatusSource` and main passes it to `createServer`.
 * Everything here is plain data: a snapshot is cheap (in memory) and may be taken every 2 s.
 */
import type { Conflict, GuestKey } from "../state/model.ts";

export type SyncState = "in-sync" | "pending" | "failed" | "conflict";
export type NodeRole = "leader" | "follower" | "candidate" | "single";
export type CycleKind = "collect" | "reconcile" | "full";

export interface StatusSource {
  /**
   * Cheap and synchronous: called on every page and fragment request (each open page polls every
   * 2 s). Treat snapshots as immutable and keep returning the same `guests` array, and the same
   * GuestView objects for unchanged guests, between changes: the server caches sort and search keys
   * by object identity (10,000 fresh objects per request cost ~30 ms instead of ~3 ms).
   */
  snapshot(): StatusSnapshot;
}

export interface NodeView {
  id: string;
  role: NodeRole;
  leaderId?: string;
  /** Base URL of the leader's status page (http/https only; anything else is not linked). */
  leaderUrl?: string;
  term?: number;
  commit?: number;
  applied?: number;
}

export interface PeerView {
  id: string;
  url: string;
  /** Milliseconds since this node last heard from the peer. */
  lastContactMs?: number;
  /** Replication progress (leader only). */
  match?: number;
  /** e.g. "replicate", "probe", "snapshot", "unreachable". */
  state?: string;
}

export interface CycleView {
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  /** Changes applied to providers in this cycle. */
  changes: number;
  errors: string[];
  kind: CycleKind;
}

export interface DnsRecordView {
  /** Absolute name, e.g. "web1.example.com.". */
  name: string;
  type: string;
  records: string[];
  state: SyncState;
  /** Provider name, e.g. "powerdns" (when several DNS providers exist). */
  provider?: string;
  error?: string;
}

export interface IpamObjectView {
  /** e.g. "ip-address 10.0.0.5/24" or "virtual-machine web1". */
  object: string;
  state: SyncState;
  provider?: string;
  error?: string;
}

export interface GuestView {
  key: GuestKey;
  cluster: string;
  node: string;
  vmid: number;
  type: string;
  name: string;
  status: string;
  ips: { ip: string; source: string }[];
  /** The guest's details could not be read this cycle. */
  error?: string;
  dns: DnsRecordView[];
  netbox: IpamObjectView[];
}

export interface ProviderHealthView {
  /** e.g. "powerdns", "netbox", "proxmox[pve1]". */
  name: string;
  ok: boolean;
  detail: string;
  /** Epoch ms of the last check. */
  checkedAt?: number;
}

export interface StatusSnapshot {
  mode: "single" | "cluster";
  node: NodeView;
  peers: PeerView[];
  /** Most recent first; the page shows the first 10. */
  cycles: CycleView[];
  guests: GuestView[];
  conflicts: Conflict[];
  providers: ProviderHealthView[];
}

const RANK: Record<SyncState, number> = { "in-sync": 0, pending: 1, conflict: 2, failed: 3 };

/** The worst state of a guest's DNS records and IPAM objects (or "in-sync" when it has none). */
export function guestState(g: GuestView): SyncState | "error" {
  let worst: SyncState = "in-sync";
  for (const d of g.dns) if (RANK[d.state] > RANK[worst]) worst = d.state;
  for (const o of g.netbox) if (RANK[o.state] > RANK[worst]) worst = o.state;
  if (worst === "in-sync" && g.error) return "error";
  return worst;
}

/** An empty single-node snapshot: what the page shows before the first cycle. */
export function emptySnapshot(nodeId = "local"): StatusSnapshot {
  return {
    mode: "single",
    node: { id: nodeId, role: "single" },
    peers: [],
    cycles: [],
    guests: [],
    conflicts: [],
    providers: [],
  };
}

/**
 * Memoizes `compute` until one of `deps()` changes identity (`Object.is`). For StatusSource
 * implementations: build the GuestView list once per cycle, e.g.
 * `const guests = memoize(() => buildGuests(state, report), () => [store.state(), lastReport]);`
 * so every 2 s refresh reuses the same objects (sort and search keys are cached per object).
 */
export function memoize<T>(compute: () => T, deps: () => readonly unknown[]): () => T {
  let last: readonly unknown[] | undefined;
  let value: T;
  return () => {
    const now = deps();
    if (!last || now.length !== last.length || now.some((d, i) => !Object.is(d, last?.[i]))) {
      value = compute();
      last = now;
    }
    return value;
  };
}
