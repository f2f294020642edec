/**
 * @module Pure functions between a `StatusSnapshot` and what the templates render: query parsing,
 * filtering, pagination, formatting, and scrubbing anything that looks like a secret.
 */
import { type GuestView, guestState, type StatusSnapshot } from "./status.ts";

export const PAGE_SIZE = 100;
export const STATE_FILTERS = ["all", "problems", "failed", "pending", "conflict", "in-sync"] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export interface GuestQuery {
  /** Case-insensitive substring over name, key, node, cluster, IPs, DNS names and IPAM objects. */
  q: string;
  state: StateFilter;
  /** 1-based. */
  page: number;
}

/** Reads `q`, `state` and `page` from a URL; bad values fall back to defaults (never throws). */
export function parseGuestQuery(params: URLSearchParams): GuestQuery {
  const q = (params.get("q") ?? "").trim().slice(0, 200);
  const rawState = params.get("state") ?? "all";
  const state = (STATE_FILTERS as readonly string[]).includes(rawState) ? (rawState as StateFilter) : "all";
  const page = Number.parseInt(params.get("page") ?? "1", 10);
  return { q, state, page: Number.isFinite(page) && page >= 1 ? Math.min(page, 1_000_000) : 1 };
}

/** Lowercased searchable text of a guest, cached per guest object (snapshots reuse unchanged ones). */
const searchCache = new WeakMap<GuestView, string>();

function searchText(g: GuestView): string {
  let t = searchCache.get(g);
  if (t === undefined) {
    const parts = [g.name, g.key, g.node, g.cluster, g.status];
    for (const ip of g.ips) parts.push(ip.ip);
    for (const d of g.dns) parts.push(d.name, ...d.records);
    for (const o of g.netbox) parts.push(o.object);
    // \u0001 separates fields so a needle never matches across two of them
    t = parts.join("\u0001").toLowerCase();
    searchCache.set(g, t);
  }
  return t;
}

const lc = (s: string) => s.toLowerCase();

/** The same test without building or caching anything: cheaper for objects seen only once. */
function matchesTextOnce(g: GuestView, n: string): boolean {
  if ([g.name, g.key, g.node, g.cluster, g.status].some((f) => lc(f).includes(n))) return true;
  for (const ip of g.ips) if (lc(ip.ip).includes(n)) return true;
  for (const d of g.dns) {
    if (lc(d.name).includes(n)) return true;
    for (const r of d.records) if (lc(r).includes(n)) return true;
  }
  for (const o of g.netbox) if (lc(o.object).includes(n)) return true;
  return false;
}

function matchesText(g: GuestView, needle: string, reused: boolean): boolean {
  if (needle === "") return true;
  return reused ? searchText(g).includes(needle) : matchesTextOnce(g, needle);
}

const stateCache = new WeakMap<GuestView, ReturnType<typeof guestState>>();

function matchesState(g: GuestView, f: StateFilter): boolean {
  if (f === "all") return true;
  let s = stateCache.get(g);
  if (s === undefined) {
    s = guestState(g);
    stateCache.set(g, s);
  }
  if (f === "problems") return s !== "in-sync";
  return s === f;
}

export interface GuestPage {
  query: GuestQuery;
  rows: GuestView[];
  /** Guests matching the filter. */
  matched: number;
  total: number;
  page: number;
  pages: number;
  /** 1-based index of the first row shown (0 when none). */
  from: number;
  to: number;
}

/** Natural sort key: lowercase, digit runs zero-padded, so plain string order puts "web2" before "web10". */
const sortKeyCache = new WeakMap<GuestView, string>();
const nat = (s: string) => s.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, "0"));

function sortKey(g: GuestView): string {
  let k = sortKeyCache.get(g);
  if (k === undefined) {
    k = `${nat(g.name)}\u0000${nat(g.key)}`;
    sortKeyCache.set(g, k);
  }
  return k;
}

/** Sorted copies, cached per snapshot array: an unchanged snapshot is not sorted again. */
const sortedCache = new WeakMap<GuestView[], GuestView[]>();

/**
 * The last sort's input (name and key per position) and resulting order: a source that builds
 * new objects for the same guests in the same order (each 2 s refresh) reuses the permutation.
 */
let lastOrder: { names: string[]; keys: string[]; perm: number[] } | undefined;

function sameOrder(guests: GuestView[]): boolean {
  if (!lastOrder || lastOrder.names.length !== guests.length) return false;
  for (let i = 0; i < guests.length; i++) {
    const g = guests[i]!;
    if (g.name !== lastOrder.names[i] || g.key !== lastOrder.keys[i]) return false;
  }
  return true;
}

/** Guests in display order: natural order of names ("web2" before "web10"), then key. */
export function sortGuests(guests: GuestView[]): GuestView[] {
  let sorted = sortedCache.get(guests);
  if (sorted) return sorted;
  if (lastOrder && sameOrder(guests)) {
    sorted = lastOrder.perm.map((i) => guests[i]!);
  } else {
    const keyed = guests.map((g, i) => ({ i, k: sortKey(g) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    const perm = keyed.map((x) => x.i);
    lastOrder = { names: guests.map((g) => g.name), keys: guests.map((g) => g.key), perm };
    sorted = perm.map((i) => guests[i]!);
  }
  sortedCache.set(guests, sorted);
  return sorted;
}

/** Filters, sorts (see sortGuests), and cuts one page. A page past the end shows the last page. */
export function pageGuests(guests: GuestView[], query: GuestQuery, size = PAGE_SIZE): GuestPage {
  const needle = query.q.toLowerCase();
  // A snapshot array seen before is likely to be seen again: cache its search text per guest.
  const reused = sortedCache.has(guests);
  const all = sortGuests(guests);
  const matched =
    needle === "" && query.state === "all"
      ? all
      : all.filter((g) => matchesState(g, query.state) && matchesText(g, needle, reused));
  const pages = Math.max(1, Math.ceil(matched.length / size));
  const page = Math.min(query.page, pages);
  const start = (page - 1) * size;
  const rows = matched.slice(start, start + size);
  return {
    query: { ...query, page },
    rows,
    matched: matched.length,
    total: guests.length,
    page,
    pages,
    from: rows.length ? start + 1 : 0,
    to: start + rows.length,
  };
}

/** Query string for a guest-list URL (only non-default values). */
export function guestQueryString(q: GuestQuery, page = q.page): string {
  const p = new URLSearchParams();
  if (q.q) p.set("q", q.q);
  if (q.state !== "all") p.set("state", q.state);
  if (page > 1) p.set("page", String(page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Page numbers to link: first, last, and a window around the current one; 0 marks a gap. */
export function pageLinks(page: number, pages: number, around = 2): number[] {
  const out: number[] = [];
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || Math.abs(p - page) <= around) out.push(p);
    else if (out[out.length - 1] !== 0) out.push(0);
  }
  return out;
}

/** "just now", "12s ago", "5m ago", "3h ago", "2d ago". */
export function ago(ms: number): string {
  if (ms < 1000) return "just now";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** "850 ms", "1.2 s", "2m 5s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/(PVEAPIToken=)[^\s"',;]+/gi, "$1[redacted]"],
  [/\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=!:@-]{6,}/g, "$1 [redacted]"],
  [/\b(X-API-Key|Authorization|PVEAuthCookie|CSRFPreventionToken)(\s*[:=]\s*)[^\s"',;]+/gi, "$1$2[redacted]"],
  [/([?&;\s]|^)((?:api[_-]?)?(?:token|key|secret|password|passwd|apikey))=[^\s&"',;]+/gi, "$1$2=[redacted]"],
  [/(\/\/[^/\s:@]+):[^/\s@]+@/g, "$1:[redacted]@"],
];

/** Masks things that look like credentials in free text (provider errors, health details). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS) out = out.replace(re, rep);
  return out;
}

/** The URL if it is absolute http(s), else undefined: never link `javascript:` or the like. */
export function safeHttpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export interface SnapshotSummary {
  guests: number;
  problems: number;
  running: number;
}

export function summarize(s: StatusSnapshot): SnapshotSummary {
  let problems = 0;
  let running = 0;
  for (const g of s.guests) {
    if (guestState(g) !== "in-sync") problems++;
    if (g.status === "running") running++;
  }
  return { guests: s.guests.length, problems, running };
}
