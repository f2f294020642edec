/**
 * The NetBox IPAM provider: read what pipam owns (and what it could collide with), apply
 * IpamChanges, check health, and clean up everything tagged. Every list uses the largest page and
 * every write is a bulk call, so an unchanged cycle costs a handful of GETs and no write.
 */
import { type Clock, type Rand, systemClock } from "../../../lib/clock.ts";
import { errorMessage, PipamError } from "../../../lib/errors.ts";
import type { HealthCheck } from "../../../lib/health.ts";
import type { Logger } from "../../../log/logger.ts";
import type { IpamChanges, IpamCurrent, IpamDesired, IpamRef } from "../../../state/ipam-types.ts";
import { hostOf, ipamChangeCount } from "../../../state/ipam-types.ts";
import { type ApplyContext, applyIpam, type IpamApplyResult } from "./apply.ts";
import { bulk } from "./bulk.ts";
import {
  createNetboxClient,
  type NbListPath,
  type NbObject,
  type NbQuery,
  type NetboxClient,
} from "./client.ts";
import { currentFromNetbox } from "./convert.ts";

export interface NetboxProviderOptions {
  url: string;
  token: string;
  /** Ownership tag slug (default "pipam"). */
  tag?: string;
  /** The seed's `[ipam.netbox] cluster`: the NetBox cluster every guest goes to (see deriveIpam). */
  clusterName?: string;
  /** Cluster type slug (default "proxmox"). */
  clusterType?: string;
  /** Informational: adoption is decided by the plan (planIpam opts.adopt). */
  adopt?: boolean;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  bulkSize?: number;
  logger: Logger;
  clock?: Clock;
  rand?: Rand;
  fetch?: typeof fetch;
}

export interface NetboxProvider {
  /**
   * What exists: tagged VMs/interfaces/MACs/IPs, every VM and interface of the managed clusters
   * (name conflicts), and, when `desired` is given, untagged IPs holding a wanted address.
   * Throws on any failed request (a partial read is never returned).
   */
  read(signal: AbortSignal, desired?: IpamDesired): Promise<IpamCurrent>;
  apply(changes: IpamChanges, signal: AbortSignal): Promise<IpamApplyResult>;
  health(signal: AbortSignal): Promise<HealthCheck[]>;
  /** Deletes everything carrying the tag (VMs with their children, then clusters, cluster type). */
  clean(signal: AbortSignal): Promise<IpamApplyResult>;
  readonly client: NetboxClient;
}

/** Only virtual machines carry a (costly) config context. */
const exclude = (p: NbListPath): NbQuery =>
  p === "/api/virtualization/virtual-machines/" ? { exclude: "config_context" } : {};

export function createNetboxProvider(opts: NetboxProviderOptions): NetboxProvider {
  const tag = opts.tag ?? "pipam";
  const ctSlug = opts.clusterType ?? "proxmox";
  const log = opts.logger.child({ provider: "netbox" });
  const client = createNetboxClient({
    url: opts.url,
    token: opts.token,
    logger: log,
    clock: opts.clock ?? systemClock,
    rand: opts.rand ?? Math.random,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    ...(opts.bulkSize !== undefined ? { bulkSize: opts.bulkSize } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  /** Ids learned by read()/ensure(); apply() completes what is missing. */
  let known: { tagId?: number; clusterTypeId?: number; clusterIds: Record<string, number> } = {
    clusterIds: {},
  };
  let looked = false;

  async function lookups(signal: AbortSignal) {
    const [tags, cts] = await Promise.all([
      client.list("/api/extras/tags/", { slug: tag }, signal),
      client.list("/api/virtualization/cluster-types/", { slug: ctSlug }, signal),
    ]);
    const ct = cts[0];
    const clusters: NbObject<"/api/virtualization/clusters/">[] = [];
    if (ct)
      clusters.push(...(await client.list("/api/virtualization/clusters/", { type_id: ct.id }, signal)));
    if (opts.clusterName && !clusters.some((c) => c.name === opts.clusterName)) {
      clusters.push(
        ...(await client.list("/api/virtualization/clusters/", { name: opts.clusterName }, signal)),
      );
    }
    const clusterIds: Record<string, number> = {};
    for (const c of clusters) clusterIds[c.name] ??= c.id;
    const out: typeof known = { clusterIds };
    if (tags[0]) out.tagId = tags[0].id;
    if (ct) out.clusterTypeId = ct.id;
    return out;
  }

  async function read(signal: AbortSignal, desired?: IpamDesired): Promise<IpamCurrent> {
    known = await lookups(signal);
    looked = true;
    const cids = Object.values(known.clusterIds);
    const tagged = known.tagId !== undefined;
    const inClusters = (p: NbListPath) =>
      cids.length > 0 ? client.list(p, { ...exclude(p), cluster_id: cids }, signal) : Promise.resolve([]);
    const taggedElsewhere = (p: NbListPath) =>
      tagged
        ? client.list(
            p,
            cids.length > 0 ? { ...exclude(p), tag, cluster_id__n: cids } : { ...exclude(p), tag },
            signal,
          )
        : Promise.resolve([]);
    const [vmsA, vmsB, ifA, ifB, macs, ips] = await Promise.all([
      inClusters("/api/virtualization/virtual-machines/"),
      taggedElsewhere("/api/virtualization/virtual-machines/"),
      inClusters("/api/virtualization/interfaces/"),
      taggedElsewhere("/api/virtualization/interfaces/"),
      tagged ? client.list("/api/dcim/mac-addresses/", { tag }, signal) : Promise.resolve([]),
      tagged ? client.list("/api/ipam/ip-addresses/", { tag }, signal) : Promise.resolve([]),
    ]);
    const allIps = [...(ips as NbObject<"/api/ipam/ip-addresses/">[])];
    if (desired) {
      const have = new Set(allIps.map((p) => hostOf(p.address)));
      const wanted = [...new Set(desired.ips.map((p) => hostOf(p.address)))].filter((h) => !have.has(h));
      for (let i = 0; i < wanted.length; i += 100) {
        allIps.push(
          ...(await client.list("/api/ipam/ip-addresses/", { address: wanted.slice(i, i + 100) }, signal)),
        );
      }
    }
    try {
      return toCurrent();
    } catch (e) {
      throw new PipamError("bad_response", `NetBox answered objects pipam cannot read: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    function toCurrent() {
      return currentFromNetbox(
        {
          tagExists: tagged,
          ...(known.clusterTypeId !== undefined ? { clusterTypeId: known.clusterTypeId } : {}),
          clusterIds: known.clusterIds,
          vms: [...vmsA, ...vmsB] as NbObject<"/api/virtualization/virtual-machines/">[],
          ifaces: [...ifA, ...ifB] as NbObject<"/api/virtualization/interfaces/">[],
          macs: macs as NbObject<"/api/dcim/mac-addresses/">[],
          ips: allIps,
        },
        tag,
      );
    }
  }

  /** Makes sure the tag, cluster type and clusters exist; returns failures. */
  async function ensure(
    c: IpamChanges,
    signal: AbortSignal,
    failed: IpamApplyResult["failed"],
  ): Promise<number> {
    let applied = 0;
    if (known.tagId === undefined) {
      const [t] = await client.create(
        "/api/extras/tags/",
        [{ name: tag, slug: tag, color: "9e9e9e", description: "managed by pipam" }],
        signal,
      );
      known.tagId = t?.id;
      applied++;
    }
    const tags = [{ slug: tag }];
    if (known.clusterTypeId === undefined && (c.clusterType !== undefined || c.clusters.length > 0)) {
      const [ct] = await client.create(
        "/api/virtualization/cluster-types/",
        [{ name: ctSlug, slug: ctSlug, description: "Proxmox VE (managed by pipam)", tags }],
        signal,
      );
      known.clusterTypeId = ct?.id;
      applied++;
    }
    const missing = c.clusters.filter((n) => known.clusterIds[n] === undefined);
    if (missing.length > 0 && known.clusterTypeId !== undefined) {
      const done = await bulk(
        missing,
        (b) =>
          client.create(
            "/api/virtualization/clusters/",
            b.map((name) => ({ name, type: known.clusterTypeId, status: "active", tags })),
            signal,
          ),
        (name, error) => failed.push({ item: { kind: "cluster", name }, error }),
      );
      for (const { item, res } of done) if (res) known.clusterIds[item] = res.id;
      applied += done.length;
    }
    return applied;
  }

  return {
    client,
    read,
    async apply(changes, signal) {
      if (ipamChangeCount(changes) === 0) return { applied: 0, failed: [], writes: 0 };
      const w0 = client.stats().writes;
      const failed: IpamApplyResult["failed"] = [];
      if (!looked) {
        known = await lookups(signal);
        looked = true;
      }
      const ensured = await ensure(changes, signal, failed);
      const ctx: ApplyContext = { client, tag, clusterIds: known.clusterIds };
      const r = await applyIpam(ctx, changes, signal);
      return {
        applied: r.applied + ensured,
        failed: [...failed, ...r.failed],
        writes: client.stats().writes - w0,
      };
    },
    async health(signal) {
      const checks: HealthCheck[] = [];
      try {
        const { body, apiVersion } = await client.status(signal);
        const version = String(body["netbox-version"] ?? apiVersion ?? "unknown");
        checks.push({ name: "netbox reachable", ok: true, detail: `${client.baseUrl} answers` });
        checks.push({ name: "netbox token", ok: true, detail: "accepted" });
        const [maj = 0, min = 0] = version.split(/[.-]/).map(Number);
        const ok = maj > 4 || (maj === 4 && min >= 2);
        checks.push({
          name: "netbox version",
          ok,
          detail: `NetBox ${version}`,
          ...(ok ? {} : { hint: "pipam needs NetBox ≥ 4.2 (MAC address objects)" }),
        });
      } catch (e) {
        const auth = e instanceof PipamError && (e.code === "auth" || e.code === "forbidden");
        checks.push({
          name: auth ? "netbox token" : "netbox reachable",
          ok: false,
          detail: errorMessage(e),
          hint: auth
            ? "check [ipam.netbox] token (v1: 40 hex chars; v2: nbt_<key>.<secret>) and that it is enabled"
            : "check [ipam.netbox] url and that NetBox is up",
        });
        return checks;
      }
      try {
        const k = await lookups(signal);
        checks.push({
          name: `netbox tag ${tag}`,
          ok: true,
          detail: k.tagId !== undefined ? `present (id ${k.tagId})` : "missing; created on the first sync",
        });
        checks.push({
          name: `netbox cluster type ${ctSlug}`,
          ok: true,
          detail:
            k.clusterTypeId !== undefined
              ? `present (id ${k.clusterTypeId})`
              : "missing; created on the first sync",
        });
        if (opts.clusterName) {
          const id = k.clusterIds[opts.clusterName];
          checks.push({
            name: `netbox cluster ${opts.clusterName}`,
            ok: true,
            detail: id !== undefined ? `present (id ${id})` : "missing; created on the first sync",
          });
        }
      } catch (e) {
        checks.push({
          name: "netbox lookups",
          ok: false,
          detail: errorMessage(e),
          hint: "the token needs read access",
        });
      }
      return checks;
    },
    async clean(signal) {
      const w0 = client.stats().writes;
      const failed: IpamApplyResult["failed"] = [];
      let applied = 0;
      const tags = await client.list("/api/extras/tags/", { slug: tag }, signal);
      if (!tags[0]) return { applied: 0, failed, writes: 0 };
      const order: [NbListPath, IpamRef["kind"]][] = [
        ["/api/virtualization/virtual-machines/", "vm"],
        ["/api/virtualization/interfaces/", "interface"],
        ["/api/dcim/mac-addresses/", "mac"],
        ["/api/ipam/ip-addresses/", "ip"],
        ["/api/virtualization/clusters/", "cluster"],
        ["/api/virtualization/cluster-types/", "cluster-type"],
      ];
      for (const [path, kind] of order) {
        const q = { ...exclude(path), tag };
        const objs = (await client.list(path, q, signal)) as { id: number; display?: string }[];
        const done = await bulk(
          objs,
          async (b) => {
            await client.remove(
              path,
              b.map((o) => o.id),
              signal,
            );
            return b;
          },
          (o, error) => failed.push({ item: { kind, name: o.display ?? String(o.id), id: o.id }, error }),
        );
        applied += done.length;
      }
      known = { clusterIds: {} };
      looked = false;
      return { applied, failed, writes: client.stats().writes - w0 };
    },
  };
}
