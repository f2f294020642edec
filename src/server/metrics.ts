/**
 * @module Prometheus metrics (prom-client) on a registry of our own (never the global one).
 * `createMetrics()` returns typed handles: the reconcile loop, providers and the raft node record
 * into them; `/metrics` renders the registry.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  /** Seconds per cycle; kind = collect | reconcile | full. */
  readonly cycleDuration: Histogram<"kind">;
  /** Changes applied; provider = powerdns | netbox ..., type = A | AAAA | PTR | ip-address ..., op = create | update | delete. */
  readonly changesApplied: Counter<"provider" | "type" | "op">;
  /** Errors by provider (or "proxmox[name]" for collection) and stage (collect | read | apply | health). */
  readonly errors: Counter<"provider" | "stage">;
  /** Current conflicts by kind (fqdn | ip | foreign). */
  readonly conflicts: Gauge<"kind">;
  /** Guests in the last inventory, by cluster. */
  readonly guests: Gauge<"cluster">;
  readonly raftTerm: Gauge;
  readonly raftCommitIndex: Gauge;
  readonly raftAppliedIndex: Gauge;
  /** 1 when this node is the leader, else 0. */
  readonly raftIsLeader: Gauge;
  /** 1 when this node knows a leader (itself or another), else 0. */
  readonly raftHasLeader: Gauge;
  /** Seconds per provider API call; outcome = ok | error. */
  readonly providerRequestDuration: Histogram<"provider" | "operation" | "outcome">;
  /** Exposition text and its content type, for `/metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** Also export process_* and nodejs_* metrics (default true). */
  defaultMetrics?: boolean;
  /** Added as `pipam_build_info{version,commit} 1`. */
  version?: string;
  commit?: string;
}

const CYCLE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: "pipam_build_info",
    help: "pipam build information; always 1",
    labelNames: ["version", "commit"] as const,
    registers,
  });
  info.set({ version: opts.version ?? "dev", commit: opts.commit ?? "unknown" }, 1);
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  return {
    registry,
    cycleDuration: new Histogram({
      name: "pipam_cycle_duration_seconds",
      help: "Duration of collect / reconcile cycles in seconds",
      labelNames: ["kind"] as const,
      buckets: CYCLE_BUCKETS,
      registers,
    }),
    changesApplied: new Counter({
      name: "pipam_changes_applied_total",
      help: "Changes applied to providers, by provider, record/object type and operation",
      labelNames: ["provider", "type", "op"] as const,
      registers,
    }),
    errors: new Counter({
      name: "pipam_errors_total",
      help: "Errors by provider and stage",
      labelNames: ["provider", "stage"] as const,
      registers,
    }),
    conflicts: new Gauge({
      name: "pipam_conflicts",
      help: "Current conflicts (two guests, one FQDN or IP; foreign records) by kind",
      labelNames: ["kind"] as const,
      registers,
    }),
    guests: new Gauge({
      name: "pipam_guests",
      help: "Guests in the last inventory, by Proxmox cluster",
      labelNames: ["cluster"] as const,
      registers,
    }),
    raftTerm: gauge("pipam_raft_term", "Current Raft term"),
    raftCommitIndex: gauge("pipam_raft_commit_index", "Raft commit index"),
    raftAppliedIndex: gauge("pipam_raft_applied_index", "Raft applied index"),
    raftIsLeader: gauge("pipam_raft_is_leader", "1 if this node is the Raft leader"),
    raftHasLeader: gauge("pipam_raft_has_leader", "1 if this node knows a Raft leader"),
    providerRequestDuration: new Histogram({
      name: "pipam_provider_request_duration_seconds",
      help: "Provider API request latency in seconds",
      labelNames: ["provider", "operation", "outcome"] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    async render() {
      // prom-client 15 prints NaN as "Nan" (the event-loop-lag gauges are NaN under Bun until the
      // first sample); the exposition format spells it "NaN". A value ends its line, and label
      // values cannot contain a raw newline, so this only touches values.
      const body = (await registry.metrics()).replace(/ Nan$/gm, " NaN");
      return { contentType: registry.contentType, body };
    },
  };
}
