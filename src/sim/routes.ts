/**
 * What the simulated Proxmox API answers to a GET, decided from the scenario. Pure: the server
 * turns the answer into bytes (reason phrase, `{"data": …}` envelope, `message` when enabled).
 */
import { agentData, configData, listEntry, lxcInterfacesData } from "./render.ts";
import type { Scenario, SimGuest } from "./scenario.ts";

export type Answer =
  | { status: 200; data: unknown }
  /** An error as PVE sends it: message in the reason phrase (and `message` in the body when enabled). */
  | { status: number; error: string }
  /** An error with an empty body (401, 595/596). */
  | { status: number; reason: string; empty: true };

export interface RouteContext {
  scenario: Scenario;
  byId: Map<number, SimGuest>;
  fingerprint: string;
  /** Seconds up (running) at time `t`; also tracks boots. */
  uptimeOf(g: SimGuest, t: number): number;
  now: number;
}

const DEFAULT_VERSION = { version: "8.2.4", release: "8.2", repoid: "faa83925c9641325" };
const notImplemented = (path: string): Answer => ({
  status: 501,
  error: `Method 'GET ${path}' not implemented`,
});
const GUEST_PATH = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/(config|interfaces|agent\/network-get-interfaces)$/;

export function route(path: string, query: URLSearchParams, ctx: RouteContext): Answer {
  const s = ctx.scenario;
  const online = (name: string) => s.nodes.find((n) => n.name === name)?.online !== false;
  if (path === "/version") return { status: 200, data: s.version ?? DEFAULT_VERSION };
  if (path === "/cluster/resources") {
    const type = query.get("type");
    const up = new Map(s.nodes.map((n) => [n.name, n.online !== false]));
    const out: unknown[] = [];
    if (type === null || type === "vm") {
      for (const g of s.guests) out.push(listEntry(g, ctx.uptimeOf(g, ctx.now), up.get(g.node) ?? false));
    }
    if (type === null || type === "node") {
      for (const n of s.nodes) {
        out.push({
          id: `node/${n.name}`,
          type: "node",
          node: n.name,
          status: online(n.name) ? "online" : "offline",
        });
      }
    }
    return { status: 200, data: out };
  }
  if (path === "/nodes") {
    const data = s.nodes.map((n) => ({
      node: n.name,
      id: `node/${n.name}`,
      type: "node",
      level: "",
      status: online(n.name) ? "online" : "offline",
      ssl_fingerprint: ctx.fingerprint,
    }));
    return { status: 200, data };
  }
  if (path === "/cluster/status") {
    const data = s.nodes.map((n, i) => ({
      type: "node",
      id: `node/${n.name}`,
      name: n.name,
      nodeid: i + 1,
      online: online(n.name) ? 1 : 0,
      local: i === 0 ? 1 : 0,
      ip: `192.0.2.${i + 1}`,
      level: "",
    }));
    return { status: 200, data };
  }
  const m = GUEST_PATH.exec(path);
  if (!m) return notImplemented(path);
  const [, node = "", type, vmidText, what] = m;
  const vmid = Number(vmidText);
  if (!s.nodes.some((n) => n.name === node)) {
    return {
      status: 500,
      error: `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
    };
  }
  if (!online(node)) {
    return {
      status: 595,
      reason: "Errors during connection establishment, proxy handshake: No route to host",
      empty: true,
    };
  }
  const g = ctx.byId.get(vmid);
  if (!g || g.node !== node || g.type !== type) {
    const dir = type === "qemu" ? "qemu-server" : "lxc";
    return { status: 500, error: `Configuration file 'nodes/${node}/${dir}/${vmid}.conf' does not exist` };
  }
  if (what === "config") return { status: 200, data: g.raw?.config ?? configData(g) };
  if (what === "interfaces") {
    return type === "lxc"
      ? { status: 200, data: g.raw?.interfaces ?? lxcInterfacesData(g) }
      : notImplemented(path);
  }
  if (type !== "qemu") return notImplemented(path);
  if (s.agentPermission === false) {
    const nine = (s.version?.release ?? "8").startsWith("9");
    const priv = nine ? "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted" : "VM.Monitor";
    return { status: 403, error: `Permission check failed (/vms/${vmid}, ${priv})` };
  }
  if (g.agent === "off" && g.raw?.agent === undefined)
    return { status: 500, error: "No QEMU guest agent configured" };
  if (g.status !== "running") return { status: 500, error: `VM ${vmid} is not running` };
  if (g.agent === "not-running") return { status: 500, error: "QEMU guest agent is not running" };
  return { status: 200, data: g.raw?.agent ?? agentData(g) };
}
