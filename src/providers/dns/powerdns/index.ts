/**
 * The PowerDNS DnsProvider. One cycle is: `records()` (one list of zones plus one full GET per
 * managed zone, URLs built from the zone `id`), a pure plan elsewhere, then `apply()` (one PATCH
 * per zone, split only under the body limit; an empty diff sends nothing, so the SOA serial does
 * not move). Ownership: every rrset pipam writes carries the comment
 * `{content: "managed by pipam", account: <ownerId>}`; only rrsets carrying it with our owner id
 * are ever updated or deleted, and only in the managed zones.
 */
import { errorMessage, PipamError } from "../../../lib/errors.ts";
import type { HealthCheck } from "../../../lib/health.ts";
import type { Changes, RRset } from "../../../state/model.ts";
import type { ApplyFailure, ApplyResult, DnsProvider } from "../../provider.ts";
import { isReverseZone, normalizeName, normalizeRRset, rrsetKey } from "../rrset.ts";
import { type ChangeKind, refuseReason } from "../validate.ts";
import { applyZone, type ZoneItem } from "./apply.ts";
import { createPdnsClient, errorText, type PdnsClient, type PdnsClientOptions } from "./client.ts";
import { type ApiZone, deleteEntry, parseZone, replaceEntry, serializeEntry } from "./convert.ts";
import { powerDnsHealth } from "./health.ts";

export interface PowerDnsOptions extends PdnsClientOptions {
  ownerId: string;
  /** Managed forward zones (absolute). */
  zones: string[];
  /** Managed reverse zones; absent = every *.in-addr.arpa. / *.ip6.arpa. zone on the server. */
  reverseZones?: string[];
  /** Create missing managed zones (Native, api_rectify off) instead of failing their changes. */
  createZones?: boolean;
  /** Largest PATCH body sent; PowerDNS's default limit is 2 MiB. Default 1,900,000 bytes. */
  maxBodyBytes?: number;
}

export { OWNER_COMMENT } from "./convert.ts";

interface ZoneRef {
  id: string;
  name: string;
}

export function createPowerDnsProvider(opts: PowerDnsOptions): DnsProvider {
  const logger = opts.logger.child({ provider: "powerdns" });
  const client: PdnsClient = createPdnsClient({ ...opts, logger });
  /** Health answers fast: one quick retry, then report. */
  const healthClient = createPdnsClient({ ...opts, logger, retries: 1, retryBaseMs: 100 });
  const forward = opts.zones.map(normalizeName);
  const configuredReverse = opts.reverseZones?.map(normalizeName);
  const maxBody = opts.maxBodyBytes ?? 1_900_000;
  /** name → zone id, from the last zone list. */
  let serverZones: Map<string, ZoneRef> | undefined;
  /** What the last read saw, per zone: rrset key → owner (null = not marked). */
  const seen = new Map<string, Map<string, string | null>>();

  async function listZones(signal: AbortSignal): Promise<Map<string, ZoneRef>> {
    const res = await client.request("GET", "/zones", undefined, signal);
    if (res.status !== 200) {
      throw new PipamError("bad_response", `PowerDNS GET /zones: HTTP ${res.status} ${errorText(res.text)}`, {
        details: {
          status: res.status,
          hint: res.status === 404 ? "check server_id (usually localhost)" : "",
        },
      });
    }
    const list = JSON.parse(res.text) as ApiZone[];
    serverZones = new Map(
      list.map((z) => [normalizeName(z.name), { id: z.id, name: normalizeName(z.name) }]),
    );
    return serverZones;
  }

  function managedZones(zones: Map<string, ZoneRef>): string[] {
    const reverse = configuredReverse ?? [...zones.keys()].filter(isReverseZone);
    return [...new Set([...forward, ...reverse])];
  }

  async function createZone(name: string, signal: AbortSignal): Promise<ZoneRef | undefined> {
    const body = JSON.stringify({ name, kind: "Native", nameservers: [], api_rectify: false });
    const res = await client.request("POST", "/zones", body, signal);
    if (res.status === 201 || res.status === 409) {
      logger.info("powerdns zone created", { zone: name });
      return (await listZones(signal)).get(name);
    }
    logger.error("powerdns zone could not be created", { zone: name, error: errorText(res.text) });
    return undefined;
  }

  return {
    async zones(signal) {
      return [...(await listZones(signal)).keys()].sort();
    },

    async records(signal) {
      const zones = await listZones(signal);
      const out: RRset[] = [];
      for (const name of managedZones(zones)) {
        const ref = zones.get(name);
        if (!ref) {
          logger.warn("managed zone missing on PowerDNS", {
            zone: name,
            create_zones: opts.createZones ?? false,
          });
          seen.set(name, new Map());
          continue;
        }
        const res = await client.request("GET", `/zones/${encodeURIComponent(ref.id)}`, undefined, signal);
        if (res.status === 404) {
          seen.set(name, new Map());
          continue;
        }
        if (res.status !== 200) {
          throw new PipamError(
            "bad_response",
            `PowerDNS GET zone ${name}: HTTP ${res.status} ${errorText(res.text)}`,
          );
        }
        let rrsets: RRset[];
        try {
          rrsets = parseZone(JSON.parse(res.text) as ApiZone);
        } catch (err) {
          throw new PipamError(
            "bad_response",
            `PowerDNS zone ${name}: unreadable answer: ${errorMessage(err)}`,
          );
        }
        seen.set(name, new Map(rrsets.map((r) => [rrsetKey(r), r.owner ?? null])));
        out.push(...rrsets);
      }
      return out;
    },

    async apply(changes: Changes<RRset>, signal: AbortSignal): Promise<ApplyResult<RRset>> {
      const writesBefore = client.writes();
      const failed: ApplyFailure<RRset>[] = [];
      const requested: { kind: ChangeKind; rr: RRset; old?: RRset }[] = [
        ...changes.delete.map((rr) => ({ kind: "delete" as const, rr })),
        ...changes.updateNew.map((rr, i) => ({ kind: "update" as const, rr, old: changes.updateOld[i] })),
        ...changes.create.map((rr) => ({ kind: "create" as const, rr })),
      ];
      if (requested.length === 0) return { applied: 0, failed, writes: 0 };

      const zones = serverZones ?? (await listZones(signal));
      const managed = new Set(managedZones(zones));
      const byZone = new Map<string, ZoneItem[]>();
      const keys = new Set<string>();
      for (const { kind, rr, old } of requested) {
        const n = normalizeRRset(rr);
        const why = refuseReason(kind, n, old, { ownerId: opts.ownerId, managed, seen });
        const key = `${n.zone}|${rrsetKey(n)}`;
        if (why || keys.has(key)) {
          failed.push({ item: rr, error: why ?? `more than one change for ${rrsetKey(n)} in one apply` });
          continue;
        }
        keys.add(key);
        const entry = kind === "delete" ? deleteEntry(n) : replaceEntry(n, opts.ownerId);
        const list = byZone.get(n.zone) ?? [];
        list.push({ ...serializeEntry(entry), item: rr });
        byZone.set(n.zone, list);
      }

      const deletes = new Set(changes.delete);
      let applied = 0;
      for (const [zone, items] of byZone) {
        let ref = zones.get(zone);
        if (!ref && opts.createZones) ref = await createZone(zone, signal);
        if (!ref) {
          const hint = opts.createZones ? "it could not be created" : "create it, or set create_zones = true";
          for (const it of items)
            failed.push({ item: it.item, error: `zone ${zone} does not exist on PowerDNS (${hint})` });
          continue;
        }
        const r = await applyZone(client, ref.id, items, maxBody, logger, signal);
        applied += r.applied.length;
        failed.push(...r.failed);
        if (r.missing) serverZones = undefined;
        const s = seen.get(zone);
        if (s) {
          for (const it of r.applied) {
            if (deletes.has(it)) s.delete(rrsetKey(normalizeRRset(it)));
            else s.set(rrsetKey(normalizeRRset(it)), opts.ownerId);
          }
        }
      }
      return { applied, failed, writes: client.writes() - writesBefore };
    },

    health(signal): Promise<HealthCheck[]> {
      return powerDnsHealth(
        healthClient,
        { ...opts, zones: forward, reverseZones: configuredReverse },
        signal,
      );
    },
  };
}
