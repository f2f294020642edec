/**
 * The Proxmox source: one cycle = per endpoint one `GET /cluster/resources?type=vm`, then details
 * only for guests that are new, changed, rebooted or due for their slow refresh (schedule.ts).
 *
 * Safety rules:
 * - a guest whose details fail is kept, with `error` and its last known NICs;
 * - a failed (or unparseable) list call marks the inventory `complete: false` and carries that
 *   endpoint's previously known guests over unchanged (with an error), so nothing looks deleted;
 * - the caller's abort fails the whole cycle (no partial inventory).
 */
import { type Clock, systemClock } from "../../lib/clock.ts";
import { PipamError } from "../../lib/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { CollectError, Guest, Inventory } from "../../state/model.ts";
import { createProxmoxClient, type ProxmoxClient, type ProxmoxEndpoint } from "./client.ts";
import { type DetailsContext, readDetails } from "./details.ts";
import { MiB } from "./http.ts";
import { buildGuest, type GuestDetails } from "./map.ts";
import { parseResources } from "./parse-resources.ts";
import { detailReason, type Known, nextDetailsAt } from "./schedule.ts";

export interface Source {
  collect(signal: AbortSignal): Promise<Inventory>;
}

export interface ProxmoxSourceOptions {
  logger: Logger;
  clock?: Clock;
  /** Slow full refresh of unchanged guests (default 10 min), spread over cycles. */
  refreshMs?: number;
  /** Retry of a guest whose details failed (default 60 s). */
  retryMs?: number;
  /** Cap of the guest list body (default 256 MiB). */
  maxListBytes?: number;
}

interface EndpointResult {
  guests: Guest[];
  complete: boolean;
  errors: CollectError[];
}

function createEndpointCollector(
  ep: ProxmoxEndpoint,
  client: ProxmoxClient,
  o: Required<Omit<ProxmoxSourceOptions, "logger">> & { logger: Logger },
) {
  const cluster = ep.name;
  const log = o.logger.child({ cluster });
  const known = new Map<number, Known>();
  const ctx: DetailsContext = { client, now: () => o.clock.now(), noLxcInterfaces: new Set() };

  const carryOver = (message: string): EndpointResult => ({
    guests: [...known.values()].map((k) =>
      buildGuest(cluster, k.entry, {
        ...(k.details ?? { nics: [] }),
        error: `not listed this cycle: ${message}`,
      }),
    ),
    complete: false,
    errors: [{ cluster, message }],
  });

  return async function collect(signal: AbortSignal): Promise<EndpointResult> {
    const started = o.clock.now();
    const callsBefore = client.calls;
    let data: unknown;
    try {
      data = await client.get("/cluster/resources?type=vm", signal, { maxBytes: o.maxListBytes });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!(err instanceof PipamError)) throw err;
      log.warn("guest list failed; keeping the last known guests", { error: err.message });
      return carryOver(err.message);
    }
    const parsed = parseResources(data);
    if ("error" in parsed) {
      const message = `proxmox[${cluster}] GET /cluster/resources: ${parsed.error}`;
      log.warn("guest list unusable; keeping the last known guests", { error: message });
      return carryOver(message);
    }
    const errors: CollectError[] = parsed.problems.map((message) => ({
      cluster,
      message: `proxmox[${cluster}] ${message}`,
    }));
    const now = o.clock.now();
    const seen = new Set<number>();
    const todo = new Map<string, Array<() => Promise<void>>>();
    const details = new Map<number, GuestDetails | undefined>();
    let queried = 0;
    for (const e of parsed.entries) {
      if (seen.has(e.vmid)) continue;
      seen.add(e.vmid);
      const k = known.get(e.vmid);
      if (e.status === "unknown") {
        // Node not reporting: no per-guest call can succeed; keep what we knew.
        const prev = k?.details ?? { nics: [] };
        details.set(e.vmid, {
          ...prev,
          error: `status unknown: node ${e.node} is not reporting; showing last known data`,
        });
        known.set(e.vmid, {
          entry: k ? { ...k.entry, status: "unknown" } : e,
          details: k?.details,
          nextAt: k?.nextAt ?? now,
        });
        continue;
      }
      const reason = detailReason(k, e, now);
      if (reason === "none") {
        details.set(e.vmid, k?.details);
        known.set(e.vmid, { ...k!, entry: e });
        continue;
      }
      queried++;
      const sameBoot = k !== undefined && reason !== "rebooted" && k.entry.status === e.status;
      const job = () =>
        readDetails(ctx, cluster, e, k?.details, sameBoot, signal).then((r) => {
          for (const p of r.problems) log.debug("odd guest data", { problem: p });
          details.set(e.vmid, r.details);
          const ok = r.details.error === undefined || r.lasting;
          known.set(e.vmid, {
            entry: e,
            details: r.details,
            nextAt: nextDetailsAt(o.clock.now(), ok, o, cluster, e.vmid),
          });
        });
      const q = todo.get(e.node);
      if (q) q.push(job);
      else todo.set(e.node, [job]);
    }
    // Per node, a few workers pull guests (2 per call slot: each guest makes up to 2 calls in a row),
    // so thousands of guests never mean thousands of live promises; the client's per-node
    // semaphore is what bounds the calls.
    const workers: Promise<void>[] = [];
    for (const q of todo.values()) {
      let next = 0;
      const n = Math.min(q.length, Math.max(1, ep.concurrencyPerNode) * 2);
      for (let i = 0; i < n; i++) {
        workers.push(
          (async () => {
            while (next < q.length && !signal.aborted) await q[next++]!();
          })(),
        );
      }
    }
    await Promise.all(workers);
    if (signal.aborted) throw signal.reason;
    for (const vmid of [...known.keys()]) if (!seen.has(vmid)) known.delete(vmid);
    const guests: Guest[] = [];
    for (const vmid of seen) {
      const k = known.get(vmid)!;
      const d = details.get(vmid);
      const g = buildGuest(cluster, k.entry, d);
      if (d?.error !== undefined) errors.push({ cluster, node: g.node, vmid, message: d.error });
      guests.push(g);
    }
    const failed = errors.filter((e) => e.vmid !== undefined);
    if (failed.length > 0) {
      log.warn("guest details could not be read; those guests keep their last known data", {
        guests: failed.length,
        first: failed[0]?.message,
      });
    }
    log.info("collected", {
      guests: guests.length,
      queried,
      errors: errors.length,
      calls: client.calls - callsBefore,
      ms: o.clock.now() - started,
    });
    return { guests, complete: parsed.problems.length === 0, errors };
  };
}

export function createProxmoxSource(endpoints: ProxmoxEndpoint[], opts: ProxmoxSourceOptions): Source {
  const o = {
    logger: opts.logger,
    clock: opts.clock ?? systemClock,
    refreshMs: opts.refreshMs ?? 10 * 60_000,
    retryMs: opts.retryMs ?? 60_000,
    maxListBytes: opts.maxListBytes ?? 256 * MiB,
  };
  const names = new Set<string>();
  for (const ep of endpoints) {
    if (names.has(ep.name))
      throw new PipamError("config", `two Proxmox endpoints are named ${JSON.stringify(ep.name)}`);
    names.add(ep.name);
  }
  const collectors = endpoints.map((ep) =>
    createEndpointCollector(ep, createProxmoxClient(ep, { clock: o.clock }), o),
  );
  return {
    async collect(signal) {
      const results = await Promise.all(collectors.map((c) => c(signal)));
      const guests = results.flatMap((r) => r.guests);
      guests.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : a.vmid - b.vmid));
      return {
        collectedAt: o.clock.now(),
        guests,
        complete: results.every((r) => r.complete),
        errors: results.flatMap((r) => r.errors),
      };
    },
  };
}
