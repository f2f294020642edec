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
import { isReverseZone, normalizeName, rrsetKey } from "../rrset.ts";
import { applyZone, prepareZone, type Requested } from "./apply.ts";
import { createPdnsClient, errorText, type PdnsClient, type PdnsClientOptions } from "./client.ts";
import { type ApiZone, parseZone } from "./convert.ts";
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

/** Runs fn over items with at most `limit` at once; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

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
      const hint = res.status === 404 ? " (check the server id, usually localhost)" : "";
      throw new PipamError(
        "bad_response",
        `PowerDNS GET /zones: HTTP ${res.status} ${errorText(res.text)}${hint}`,
        {
          details: { status: res.status },
        },
      );
    }
    let list: ApiZone[];
    try {
      list = JSON.parse(res.text) as ApiZone[];
    } catch (err) {
      throw new PipamError("bad_response", `PowerDNS GET /zones: unreadable answer: ${errorMessage(err)}`);
    }
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

  async function readZone(name: string, ref: ZoneRef | undefined, signal: AbortSignal): Promise<RRset[]> {
    const res = ref
      ? await client.request("GET", `/zones/${encodeURIComponent(ref.id)}`, undefined, signal)
      : undefined;
    if (!res || res.status === 404) {
      logger.warn("managed zone missing on PowerDNS", {
        zone: name,
        create_zones: opts.createZones ?? false,
      });
      seen.set(name, new Map());
      return [];
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
      throw new PipamError("bad_response", `PowerDNS zone ${name}: unreadable answer: ${errorMessage(err)}`);
    }
    seen.set(name, new Map(rrsets.map((r) => [rrsetKey(r), r.owner ?? null])));
    return rrsets;
  }

  return {
    async zones(signal) {
      return [...(await listZones(signal)).keys()].sort();
    },

    async records(signal) {
      const zones = await listZones(signal);
      const names = managedZones(zones);
      // Reads may run side by side (sqlite WAL readers do not block); at most 4 at once.
      const results = await mapLimit(names, 4, (name) => readZone(name, zones.get(name), signal));
      return results.flat();
    },

    async apply(changes: Changes<RRset>, signal: AbortSignal): Promise<ApplyResult<RRset>> {
      const writesBefore = client.writes();
      const failed: ApplyFailure<RRset>[] = [];
      const groups = new Map<string, Requested[]>();
      const add = (r: Requested) => {
        const zone = normalizeName(r.rr.zone);
        const list = groups.get(zone);
        if (list) list.push(r);
        else groups.set(zone, [r]);
      };
      for (const rr of changes.delete) add({ kind: "delete", rr });
      for (const [i, rr] of changes.updateNew.entries())
        add({ kind: "update", rr, old: changes.updateOld[i] });
      for (const rr of changes.create) add({ kind: "create", rr });
      if (groups.size === 0) return { applied: 0, failed, writes: 0 };

      const zones = serverZones ?? (await listZones(signal));
      const ctx = { ownerId: opts.ownerId, managed: new Set(managedZones(zones)), seen };
      let applied = 0;
      // One zone's PATCH is in flight while the next zone is prepared (writes stay one at a time).
      let inflight: Promise<void> = Promise.resolve();
      for (const [zone, reqs] of groups) {
        const items = prepareZone(reqs, ctx, failed);
        await inflight;
        if (items.length === 0) continue;
        let ref = zones.get(zone);
        if (!ref && opts.createZones) ref = await createZone(zone, signal);
        if (!ref) {
          const hint = opts.createZones ? "it could not be created" : "create it, or set create_zones = true";
          for (const it of items) {
            failed.push({ item: it.item, error: `zone ${zone} does not exist on PowerDNS (${hint})` });
          }
          continue;
        }
        inflight = applyZone(client, ref.id, items, maxBody, logger, signal).then((r) => {
          applied += r.applied.length;
          failed.push(...r.failed);
          if (r.missing) serverZones = undefined;
          const s = seen.get(zone);
          for (const it of s ? r.applied : []) {
            if (it.entry.changetype === "DELETE") s?.delete(it.key);
            else s?.set(it.key, opts.ownerId);
          }
        });
      }
      await inflight;
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
