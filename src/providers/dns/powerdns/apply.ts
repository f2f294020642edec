/**
 * Sends one zone's changes: as few PATCHes as the body limit allows (normally one), each atomic.
 * A 422 (or 400) does not block the rest: the rrset PowerDNS names is taken out and retried alone,
 * otherwise the batch is bisected, so k bad rrsets cost O(k log n) extra requests and everything
 * else is applied. Transient failures are retried inside the client and then thrown.
 */
import { PipamError } from "../../../lib/errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { RRset } from "../../../state/model.ts";
import type { ApplyFailure } from "../../provider.ts";
import { normalizeRRset, rrsetKey } from "../rrset.ts";
import { type ChangeKind, refuseReason, type ValidateContext } from "../validate.ts";
import type { PdnsClient } from "./client.ts";
import { errorText } from "./client.ts";
import {
  blamedEntry,
  chunkEntries,
  deleteEntry,
  patchBody,
  replaceEntry,
  type SerializedEntry,
  serializeEntry,
} from "./convert.ts";

export interface ZoneItem extends SerializedEntry {
  /** The change as requested (reported back in `failed`). */
  item: RRset;
  /** rrsetKey of the normalised rrset. */
  key: string;
}

export interface Requested {
  kind: ChangeKind;
  rr: RRset;
  old?: RRset;
}

/** Normalise, check and serialise one zone's changes; refusals go to `failed`. */
export function prepareZone(
  reqs: Requested[],
  ctx: ValidateContext,
  failed: ApplyFailure<RRset>[],
): ZoneItem[] {
  const items: ZoneItem[] = [];
  const keys = new Set<string>();
  for (const { kind, rr, old } of reqs) {
    const n = normalizeRRset(rr);
    const key = rrsetKey(n);
    const why =
      refuseReason(kind, n, old, ctx) ??
      (keys.has(key) ? `more than one change for ${key} in one apply` : undefined);
    if (why) {
      failed.push({ item: rr, error: why });
      continue;
    }
    keys.add(key);
    const entry = kind === "delete" ? deleteEntry(n) : replaceEntry(n, ctx.ownerId);
    items.push({ ...serializeEntry(entry), item: rr, key });
  }
  return items;
}

export interface ZoneApplyResult {
  applied: ZoneItem[];
  failed: ApplyFailure<RRset>[];
  /** True when the zone vanished (404) while applying: the caller refreshes its zone list. */
  missing: boolean;
}

export async function applyZone(
  client: PdnsClient,
  zoneId: string,
  items: ZoneItem[],
  maxBodyBytes: number,
  logger: Logger,
  signal: AbortSignal,
): Promise<ZoneApplyResult> {
  const out: ZoneApplyResult = { applied: [], failed: [], missing: false };
  const path = `/zones/${encodeURIComponent(zoneId)}`;

  const send = async (batch: ZoneItem[]): Promise<void> => {
    if (batch.length === 0) return;
    if (out.missing) {
      for (const b of batch)
        out.failed.push({ item: b.item, error: `zone ${zoneId} does not exist on PowerDNS` });
      return;
    }
    const res = await client.request("PATCH", path, patchBody(batch), signal);
    if (res.status >= 200 && res.status < 300) {
      for (const b of batch) out.applied.push(b);
      return;
    }
    if (res.status === 404) {
      out.missing = true;
      return send(batch);
    }
    const msg = errorText(res.text) || `HTTP ${res.status}`;
    if (res.status !== 422 && res.status !== 400) {
      throw new PipamError("bad_response", `PowerDNS PATCH ${path}: unexpected HTTP ${res.status}: ${msg}`, {
        details: { status: res.status },
      });
    }
    if (batch.length === 1) {
      const only = batch[0]!;
      logger.warn("powerdns rejected an rrset", {
        zone: zoneId,
        rrset: only.entry.name,
        type: only.entry.type,
        error: msg,
      });
      out.failed.push({ item: only.item, error: `PowerDNS HTTP ${res.status}: ${msg}` });
      return;
    }
    const suspect = res.status === 422 ? blamedEntry(batch, msg) : undefined;
    if (suspect) {
      // PowerDNS named it: send the rest, then the suspect alone (to confirm, it may still succeed).
      await send(batch.filter((b) => b !== suspect));
      await send([suspect]);
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await send(batch.slice(0, half));
    await send(batch.slice(half));
  };

  for (const chunk of chunkEntries(items, maxBodyBytes)) await send(chunk);
  return out;
}
