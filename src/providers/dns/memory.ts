/**
 * An in-memory DnsProvider with PowerDNS's semantics (for the reconcile engine's tests and the
 * contract suite): normalised names and contents, ownership by owner id, managed zones only,
 * one write per zone per apply, nothing written for an empty diff. Fault injection: transient
 * failures (`failNext`) and per-rrset rejections like a PowerDNS 422 (`rejectWhen`).
 */
import { PipamError } from "../../lib/errors.ts";
import type { HealthCheck } from "../../lib/health.ts";
import type { Changes, RRset } from "../../state/model.ts";
import type { ApplyFailure, ApplyResult, DnsProvider } from "../provider.ts";
import { compareRRsets, isReverseZone, normalizeName, normalizeRRset, rrsetKey } from "./rrset.ts";
import { type ChangeKind, refuseReason } from "./validate.ts";

export interface MemoryDnsOptions {
  ownerId: string;
  /** Managed forward zones; they exist on the fake server. */
  zones: string[];
  /** Managed reverse zones (they exist); absent = every reverse zone on the fake server. */
  reverseZones?: string[];
  /** Other zones that exist on the fake server (e.g. reverse zones to discover). */
  serverZones?: string[];
}

export interface MemoryDnsProvider extends DnsProvider {
  /** Store an rrset as if made by hand (`owner` undefined) or by another owner id. */
  seed(rr: RRset): void;
  /** Everything stored, in every zone, sorted. */
  dump(): RRset[];
  /** Write requests so far (one per zone touched by an apply). */
  writes(): number;
  /** The next n calls of records()/apply() throw a transient PipamError. */
  failNext(n: number): void;
  /** Reject (like a PowerDNS 422) every rrset for which fn returns a message; undefined clears it. */
  rejectWhen(fn?: (rr: RRset) => string | undefined): void;
  /** Make a zone exist / vanish on the fake server. */
  addZone(name: string): void;
  removeZone(name: string): void;
  /** Another provider over the same fake server (e.g. a restarted pipam, or another owner id). */
  withOwner(ownerId: string, opts?: Partial<Omit<MemoryDnsOptions, "ownerId">>): MemoryDnsProvider;
}

interface Server {
  /** zone → rrset key → rrset */
  zones: Map<string, Map<string, RRset>>;
  writes: number;
  failures: number;
  reject?: (rr: RRset) => string | undefined;
}

export function createMemoryDnsProvider(opts: MemoryDnsOptions): MemoryDnsProvider {
  return build(opts, undefined);
}

function build(opts: MemoryDnsOptions, shared: Server | undefined): MemoryDnsProvider {
  const server: Server = shared ?? { zones: new Map(), writes: 0, failures: 0 };
  const forward = opts.zones.map(normalizeName);
  const reverse = opts.reverseZones?.map(normalizeName);
  if (!shared) {
    for (const z of [...forward, ...(reverse ?? []), ...(opts.serverZones ?? []).map(normalizeName)]) {
      server.zones.set(z, new Map());
    }
  }
  const managed = () => new Set([...forward, ...(reverse ?? [...server.zones.keys()].filter(isReverseZone))]);
  const maybeFail = (what: string) => {
    if (server.failures > 0) {
      server.failures--;
      throw new PipamError("unavailable", `memory dns: injected failure (${what})`, { transient: true });
    }
  };

  const self: MemoryDnsProvider = {
    async zones() {
      return [...server.zones.keys()].sort();
    },
    async records() {
      maybeFail("records");
      const out: RRset[] = [];
      for (const z of managed())
        for (const rr of server.zones.get(z)?.values() ?? []) out.push(structuredClone(rr));
      return out.sort(compareRRsets);
    },
    async apply(changes: Changes<RRset>): Promise<ApplyResult<RRset>> {
      const requested: { kind: ChangeKind; rr: RRset; old?: RRset }[] = [
        ...changes.delete.map((rr) => ({ kind: "delete" as const, rr })),
        ...changes.updateNew.map((rr, i) => ({ kind: "update" as const, rr, old: changes.updateOld[i] })),
        ...changes.create.map((rr) => ({ kind: "create" as const, rr })),
      ];
      if (requested.length === 0) return { applied: 0, failed: [], writes: 0 };
      maybeFail("apply");
      const seen = new Map<string, Map<string, string | null>>();
      for (const [z, m] of server.zones) {
        seen.set(z, new Map([...m].map(([k, rr]) => [k, rr.owner ?? null])));
      }
      const failed: ApplyFailure<RRset>[] = [];
      const touched = new Set<string>();
      const keys = new Set<string>();
      let applied = 0;
      for (const { kind, rr, old } of requested) {
        const n = normalizeRRset(rr);
        const key = rrsetKey(n);
        let why = refuseReason(kind, n, old, { ownerId: opts.ownerId, managed: managed(), seen });
        if (!why && keys.has(`${n.zone}|${key}`)) why = `more than one change for ${key} in one apply`;
        const zone = server.zones.get(n.zone);
        if (!why && !zone)
          why = `zone ${n.zone} does not exist on PowerDNS (create it, or set create_zones = true)`;
        if (!why && kind !== "delete") why = server.reject?.(n);
        if (why || !zone) {
          failed.push({ item: rr, error: why ?? "zone missing" });
          continue;
        }
        keys.add(`${n.zone}|${key}`);
        touched.add(n.zone);
        if (kind === "delete") zone.delete(key);
        else {
          const { guests: _g, ...stored } = n;
          zone.set(key, { ...stored, owner: opts.ownerId });
        }
        applied++;
      }
      server.writes += touched.size;
      return { applied, failed, writes: touched.size };
    },
    async health(): Promise<HealthCheck[]> {
      return [...managed()].map((z) => ({
        name: `memory dns zone ${z}`,
        ok: server.zones.has(z),
        detail: server.zones.has(z) ? "present" : "missing",
      }));
    },
    seed(rr) {
      const n = normalizeRRset(rr);
      const zone = server.zones.get(n.zone);
      if (!zone) throw new Error(`memory dns: seed into missing zone ${n.zone}`);
      zone.set(rrsetKey(n), n);
    },
    dump() {
      return [...server.zones.values()]
        .flatMap((m) => [...m.values()].map((r) => structuredClone(r)))
        .sort(compareRRsets);
    },
    writes: () => server.writes,
    failNext(n) {
      server.failures = n;
    },
    rejectWhen(fn) {
      server.reject = fn;
    },
    addZone(name) {
      if (!server.zones.has(normalizeName(name))) server.zones.set(normalizeName(name), new Map());
    },
    removeZone(name) {
      server.zones.delete(normalizeName(name));
    },
    withOwner(ownerId, more = {}) {
      return build({ ...opts, ...more, ownerId }, server);
    },
  };
  return self;
}
