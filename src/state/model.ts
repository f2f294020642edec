/**
 * The shared domain model: what the collector produces and what derive/plan/providers consume.
 * Plain, JSON-serialisable data only (it is replicated through Raft and printed by `pipam output --json`).
 */

export type GuestType = "qemu" | "lxc";

/** Where an address was learned. */
export type IpSource = "agent" | "lxc-interfaces" | "config" | "cloud-init";

export interface GuestAddress {
  /** Canonical text form (IPv6 compressed, lowercase, no `%zone`). */
  ip: string;
  family: 4 | 6;
  /** Prefix length when known. */
  prefix?: number;
  source: IpSource;
}

export interface GuestNic {
  /** Interface name inside the guest (agent / LXC) or the config key (`net0`). */
  name: string;
  /** Lowercase `aa:bb:cc:dd:ee:ff` when known. */
  mac?: string;
  addresses: GuestAddress[];
}

/** Stable identity of a guest: survives renames and node migrations. */
export type GuestKey = `${string}/${number}`;

export function guestKey(cluster: string, vmid: number): GuestKey {
  return `${cluster}/${vmid}`;
}

export interface Guest {
  /** Name of the Proxmox endpoint (`[[proxmox]] name`, default "default"). */
  cluster: string;
  node: string;
  vmid: number;
  type: GuestType;
  /** QEMU `name` / LXC `hostname` as Proxmox reports it (may be empty for `status: unknown`). */
  name: string;
  /** running | stopped | paused | unknown (Proxmox's word, lowercased). */
  status: string;
  template: boolean;
  tags: string[];
  nics: GuestNic[];
  /** Set when the guest's details could not be read this cycle; `nics` then holds the last known data. */
  error?: string;
  /** Epoch ms of the last successful detail read. */
  detailsAt?: number;
}

export interface CollectError {
  cluster: string;
  node?: string;
  vmid?: number;
  message: string;
}

export interface Inventory {
  /** Epoch ms when the cycle finished. */
  collectedAt: number;
  guests: Guest[];
  /**
   * False when any guest list call failed: the inventory then must never be used to delete
   * (a missing guest may simply not have been listed).
   */
  complete: boolean;
  errors: CollectError[];
}

// ---- DNS -------------------------------------------------------------------------------------

export type RRType = "A" | "AAAA" | "PTR";

/** One rrset (name + type) in one zone. Names are absolute, lowercase, with the trailing dot. */
export interface RRset {
  zone: string;
  name: string;
  type: RRType;
  ttl: number;
  /** Normalised record contents, sorted. */
  records: string[];
  /** Owner id from the provider's ownership marker; undefined = not marked (foreign). */
  owner?: string;
  /** The guest(s) this rrset was derived from (desired side only). */
  guests?: GuestKey[];
}

/** Plain, serialisable diff, as in external-dns: an update carries the old and the new value. */
export interface Changes<T> {
  create: T[];
  updateOld: T[];
  updateNew: T[];
  delete: T[];
}

export function emptyChanges<T>(): Changes<T> {
  return { create: [], updateOld: [], updateNew: [], delete: [] };
}

export function changeCount<T>(c: Changes<T>): number {
  return c.create.length + c.updateNew.length + c.delete.length;
}

export type Policy = "sync" | "upsert-only" | "create-only";

export type ConflictKind = "fqdn" | "ip" | "foreign";

export interface Conflict {
  kind: ConflictKind;
  /** The contested FQDN or IP. */
  subject: string;
  /** The guest that keeps it (by the documented rule), if any. */
  winner?: GuestKey;
  /** The guests that lost it. */
  losers: GuestKey[];
  message: string;
}
