/**
 * What the Proxmox simulator serves: nodes, guests and their behaviour, latencies and injected
 * faults. A scenario is plain, mutable data: tests and the demo change it while the simulator
 * runs (`sim.mutate(fn)`), or schedule changes with `timeline`.
 */

export type AgentMode =
  /** agent answers with the guest's NICs */
  | "ok"
  /** `agent` not in the config: HTTP 500 "No QEMU guest agent configured" */
  | "off"
  /** configured but not answering: HTTP 500 "QEMU guest agent is not running" */
  | "not-running"
  /** HTTP 200 with result.error class Unsupported */
  | "unsupported"
  /** HTTP 200 with result.error class CommandDisabled */
  | "disabled"
  /** Windows agent: localized names, `%zone` link-local, `prefix: -1`, loopback without MAC */
  | "windows";

export interface SimNic {
  /** In-guest name (eth0, ens18, "Ethernet 2"). */
  name: string;
  /** `BC:24:11:..` (any case). */
  mac: string;
  /** CIDRs, e.g. `10.0.0.5/24`. */
  ipv4?: string[];
  ipv6?: string[];
  bridge?: string;
}

export interface SimGuest {
  vmid: number;
  type: "qemu" | "lxc";
  node: string;
  name: string;
  status: "running" | "stopped" | "unknown";
  template?: boolean;
  /** Raw tags string as in the config (`"a;b"`, `"one, two"`). */
  tags?: string;
  /** Seconds already up when the simulator starts (running guests). */
  uptime?: number;
  /** QEMU only; default "ok". */
  agent?: AgentMode;
  nics: SimNic[];
  /** Put the NICs' addresses in the config too: LXC `ip=`/`ip6=`, QEMU cloud-init `ipconfigN`. */
  staticConfig?: boolean;
  /** LXC interfaces reply: "new" (PVE ≥ 8.4, default) or "old" (one inet/inet6 CIDR each). */
  lxcShape?: "old" | "new";
  /** Verbatim `data` payloads (fixtures) that replace the generated ones. */
  raw?: { config?: unknown; agent?: unknown; interfaces?: unknown };
}

export interface SimNode {
  name: string;
  /** Offline nodes: their guests list as `status: unknown` and per-guest calls get HTTP 595. */
  online?: boolean;
}

export interface SimFault {
  /** Path after `/api2/json` (without query): exact string, or a RegExp. */
  path: string | RegExp;
  status?: number;
  /** Reason phrase (Proxmox's message lives there). */
  reason?: string;
  body?: string | Uint8Array;
  contentType?: string;
  /** Extra delay before answering (a hang when larger than the client timeout). */
  delayMs?: number;
  /** Stream a body of this many bytes (JSON-looking filler) instead of `body`. */
  hugeBytes?: number;
  /** How many times to fire; undefined = always. */
  times?: number;
}

export interface SimLatency {
  list?: number;
  config?: number;
  agent?: number;
  interfaces?: number;
  other?: number;
}

export interface Scenario {
  nodes: SimNode[];
  guests: SimGuest[];
  /** `version` reply; default 8.2.4. */
  version?: { version: string; release: string; repoid?: string };
  latency?: SimLatency;
  faults?: SimFault[];
  /** Guest agent permission: false → HTTP 403 on agent calls (VM.Monitor / VM.GuestAgent.Audit by version). */
  agentPermission?: boolean;
  /** Put `message` in error bodies (libpve-http-server-perl ≥ 5.2.0); default true. */
  messageInBody?: boolean;
  /** Delay of a 401 (real PVE waits 3 s); default 0. */
  authDelayMs?: number;
  /** Changes applied once `afterMs` have passed since start (checked on each request). */
  timeline?: Array<{ afterMs: number; apply: (s: Scenario) => void }>;
}
