/**
 * Pure conversions between PowerDNS API JSON and pipam's RRset: parsing a zone (normalised, with
 * the owner taken from the ownership comment), building PATCH entries, and splitting a PATCH
 * under the server's body limit. No I/O.
 */
import type { RRset, RRType } from "../../../state/model.ts";
import { compareRRsets, normalizeContent, normalizeName } from "../rrset.ts";

/** The `content` of the comment that marks an rrset as pipam's; its `account` is the owner id. */
export const OWNER_COMMENT = "managed by pipam";

const TYPES: ReadonlySet<string> = new Set(["A", "AAAA", "PTR"]);

/** What `GET /zones/{id}` returns (the parts we read). */
export interface ApiZone {
  id: string;
  name: string;
  kind?: string;
  serial?: number;
  rrsets?: ApiRRset[];
}

export interface ApiRRset {
  name: string;
  type: string;
  ttl?: number;
  records?: { content: string; disabled?: boolean }[];
  comments?: { content: string; account?: string; modified_at?: number }[];
}

/** One element of a PATCH body's `rrsets`. */
export interface PatchEntry {
  name: string;
  type: RRType;
  changetype: "REPLACE" | "DELETE";
  ttl?: number;
  records?: { content: string; disabled: boolean }[];
  comments?: { content: string; account: string }[];
}

/**
 * A/AAAA/PTR rrsets of a zone. Disabled records are left out (they are not served); rrsets with no
 * records at all (comment-only ones) are skipped. `owner` is the `account` of the ownership comment.
 */
export function parseZone(zone: ApiZone): RRset[] {
  const zoneName = normalizeName(zone.name);
  const out: RRset[] = [];
  for (const rs of zone.rrsets ?? []) {
    const type = rs.type.toUpperCase();
    if (!TYPES.has(type)) continue;
    const all = rs.records ?? [];
    if (all.length === 0) continue;
    const t = type as RRType;
    const records = [
      ...new Set(all.filter((r) => !r.disabled).map((r) => normalizeContent(t, r.content) ?? r.content)),
    ].sort();
    const marker = (rs.comments ?? []).find((c) => c.content === OWNER_COMMENT && c.account);
    const rr: RRset = { zone: zoneName, name: normalizeName(rs.name), type: t, ttl: rs.ttl ?? 0, records };
    if (marker?.account) rr.owner = marker.account;
    out.push(rr);
  }
  return out.sort(compareRRsets);
}

/** REPLACE with the records and the ownership comment (which replaces any other comment). */
export function replaceEntry(rr: RRset, ownerId: string): PatchEntry {
  return {
    name: normalizeName(rr.name),
    type: rr.type,
    changetype: "REPLACE",
    ttl: rr.ttl,
    records: rr.records.map((content) => ({ content, disabled: false })),
    comments: [{ content: OWNER_COMMENT, account: ownerId }],
  };
}

export function deleteEntry(rr: RRset): PatchEntry {
  return { name: normalizeName(rr.name), type: rr.type, changetype: "DELETE" };
}

/** A PATCH entry with its JSON text, serialised once (sizing and sending use the same text). */
export interface SerializedEntry {
  entry: PatchEntry;
  json: string;
  bytes: number;
}

export function serializeEntry(entry: PatchEntry): SerializedEntry {
  const json = JSON.stringify(entry);
  return { entry, json, bytes: Buffer.byteLength(json) };
}

/** The PATCH body for these entries. */
export function patchBody(items: { json: string }[]): string {
  return `{"rrsets":[${items.map((i) => i.json).join(",")}]}`;
}

/** Bytes of `{"rrsets":[]}`. */
const WRAPPER = 13;

/**
 * Splits entries into as few consecutive chunks as possible whose PATCH body stays at or below
 * maxBytes. An entry bigger than the limit alone gets a chunk of its own (the server then answers
 * 400 and it is reported as failed).
 */
export function chunkEntries<T extends { bytes: number }>(items: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let cur: T[] = [];
  let size = WRAPPER;
  for (const it of items) {
    if (cur.length > 0 && size + 1 + it.bytes > maxBytes) {
      chunks.push(cur);
      cur = [];
      size = WRAPPER;
    }
    size += (cur.length > 0 ? 1 : 0) + it.bytes;
    cur.push(it);
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/**
 * The entry a PowerDNS 422 message names, if exactly one does (4.7: "RRset x.example. IN A: Conflicts
 * with pre-existing RRset", "Record x.example./PTR 'y': …"). Isolates a bad rrset without bisecting.
 */
export function blamedEntry<T extends { entry: PatchEntry }>(items: T[], message: string): T | undefined {
  const msg = message.toLowerCase();
  const t = (i: T) => i.entry.type.toLowerCase();
  // "RRset x.example. IN A: …" and "Record x.example./PTR '…': …"
  const byNameType = items.filter(
    (i) =>
      msg.includes(`rrset ${i.entry.name} in ${t(i)}:`) || msg.includes(`record ${i.entry.name}/${t(i)} `),
  );
  if (byNameType.length === 1) return byNameType[0];
  const byName = items.filter((i) => msg.includes(`'${i.entry.name}'`) || msg.includes(` ${i.entry.name} `));
  return byName.length === 1 ? byName[0] : undefined;
}
