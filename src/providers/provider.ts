/**
 * The tiny provider interfaces (external-dns style). A provider reads what exists in the zones /
 * objects it manages (with ownership markers) and applies Changes. Providers never check a dry-run
 * flag (dry-run prints the plan instead) and never import each other.
 */
import type { HealthCheck } from "../lib/health.ts";
import type { Changes, RRset } from "../state/model.ts";

export interface ApplyFailure<T> {
  item: T;
  /** What the provider said (e.g. PowerDNS's 422 message). */
  error: string;
}

export interface ApplyResult<T> {
  /** Items (creates, new sides of updates, deletes) that are now applied. */
  applied: number;
  /** Items rejected permanently (4xx) — the rest was still applied. */
  failed: ApplyFailure<T>[];
  /** Write requests sent (0 for an empty diff). */
  writes: number;
}

export interface DnsProvider {
  /** Every A/AAAA/PTR rrset in the managed zones, with `owner` from the ownership marker. */
  records(signal: AbortSignal): Promise<RRset[]>;
  /** Zones that exist on the server (forward and reverse), absolute, lowercase. */
  zones(signal: AbortSignal): Promise<string[]>;
  /** Apply; throws PipamError(transient) when nothing could be applied because the server is unreachable. */
  apply(changes: Changes<RRset>, signal: AbortSignal): Promise<ApplyResult<RRset>>;
  health(signal: AbortSignal): Promise<HealthCheck[]>;
}
