/**
 * `pipam health` for one Proxmox endpoint: reachable, TLS, auth, version, guests visible, and
 * whether the token may read guest agent data (the PVE 8 VM.Monitor vs PVE 9
 * VM.GuestAgent.Audit trap). Each check is a ✓/✗ line with a hint on failure.
 */
import { errorMessage, PipamError } from "../../lib/errors.ts";
import type { HealthCheck } from "../../lib/health.ts";
import { apiBase, createProxmoxClient, type ProxmoxEndpoint } from "./client.ts";
import { MiB } from "./http.ts";
import { agentEnabled } from "./parse-config.ts";
import { parseResources, type ResourceEntry } from "./parse-resources.ts";
import { normalizeFingerprints, peerCertificate } from "./tls.ts";

function agentHint(ep: ProxmoxEndpoint, major: number): string {
  if (major >= 9) {
    return `grant VM.GuestAgent.Audit on /vms (PVEAuditor has it on PVE 9): pveum acl modify /vms -token '${ep.tokenId}' -role PVEAuditor. VM.Monitor no longer exists on PVE 9; a custom role that listed it lost it on upgrade`;
  }
  return `grant VM.Monitor (PVEAuditor lacks it on PVE 7/8): pveum role add PipamAudit -privs "VM.Audit VM.Monitor Sys.Audit"; pveum acl modify / -token '${ep.tokenId}' -role PipamAudit (on PVE 9 use VM.GuestAgent.Audit instead)`;
}

export async function checkProxmox(ep: ProxmoxEndpoint, signal: AbortSignal): Promise<HealthCheck[]> {
  const n = (what: string) => `proxmox[${ep.name}] ${what}`;
  const out: HealthCheck[] = [];
  const url = new URL(apiBase(ep.url));
  let ca: string | undefined;
  if (ep.caFile) {
    try {
      ca = await Bun.file(ep.caFile).text();
    } catch (err) {
      out.push({
        name: n("TLS"),
        ok: false,
        detail: `cannot read ca_file ${ep.caFile}: ${errorMessage(err)}`,
        hint: "point ca_file at a PEM copy of /etc/pve/pve-root-ca.pem",
      });
      return out;
    }
  }
  let fp: string;
  try {
    fp = (await peerCertificate(url, signal, ca, ep.timeoutMs)).fingerprint;
    out.push({ name: n("reachable"), ok: true, detail: `TLS handshake with ${url.host}` });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    out.push({
      name: n("reachable"),
      ok: false,
      detail: errorMessage(err),
      hint: "check url (https://<host>:8006), DNS, firewall, and that pveproxy runs",
    });
    return out;
  }

  let pins: string[] = [];
  try {
    pins = ep.fingerprint ? normalizeFingerprints(ep.fingerprint) : [];
  } catch (err) {
    out.push({
      name: n("TLS"),
      ok: false,
      detail: errorMessage(err),
      hint: `the server's fingerprint is ${fp}`,
    });
    return out;
  }
  if (pins.length > 0 && !pins.includes(fp)) {
    out.push({
      name: n("TLS"),
      ok: false,
      detail: `server certificate SHA-256 ${fp} does not match the pinned ${pins.join(", ")}`,
      hint: `certificate renewed? verify it on the node (pvenode cert info) and set fingerprint = "${fp}"`,
    });
    return out;
  }

  let client: ReturnType<typeof createProxmoxClient>;
  try {
    client = createProxmoxClient(ep);
  } catch (err) {
    out.push({
      name: n("auth"),
      ok: false,
      detail: errorMessage(err),
      hint: "token_id is user@realm!tokenname, e.g. pipam@pve!inventory",
    });
    return out;
  }
  let version: { version?: unknown; release?: unknown } = {};
  try {
    version = ((await client.get("/version", signal)) ?? {}) as typeof version;
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const e = err instanceof PipamError ? err : new PipamError("internal", errorMessage(err));
    if (e.code === "rejected" && /TLS/.test(e.message)) {
      out.push({
        name: n("TLS"),
        ok: false,
        detail: e.message,
        hint: `set ca_file to a copy of /etc/pve/pve-root-ca.pem, or pin fingerprint = "${fp}"`,
      });
    } else if (e.code === "auth") {
      out.push({ name: n("TLS"), ok: true, detail: tlsDetail(ep, pins, fp) });
      out.push({
        name: n("auth"),
        ok: false,
        detail: e.message,
        hint: `token_id must be user@realm!tokenid (${ep.tokenId}); the secret is the UUID shown once at creation; the token and its user must exist, be enabled and not expired`,
      });
    } else {
      out.push({
        name: n("API"),
        ok: false,
        detail: e.message,
        hint: "is this a Proxmox VE API (port 8006)?",
      });
    }
    return out;
  }
  out.push({ name: n("TLS"), ok: true, detail: tlsDetail(ep, pins, fp) });
  out.push({ name: n("auth"), ok: true, detail: `token ${ep.tokenId} accepted` });
  const v = String(version.version ?? "?");
  const major = Number.parseInt(String(version.release ?? v), 10);
  out.push({
    name: n("version"),
    ok: true,
    detail: `Proxmox VE ${v}${Number.isFinite(major) && major < 8 ? " (LXC interfaces endpoint needs PVE ≥ 8.1: container IPs come from static config only)" : ""}`,
  });

  let entries: ResourceEntry[];
  try {
    const parsed = parseResources(
      await client.get("/cluster/resources?type=vm", signal, { maxBytes: 256 * MiB }),
    );
    if ("error" in parsed) throw new PipamError("bad_response", parsed.error);
    entries = parsed.entries;
    out.push({
      name: n("guests"),
      ok: true,
      detail:
        entries.length > 0
          ? `${entries.length} guests visible`
          : `0 guests visible: if the cluster has guests, the token lacks VM.Audit (a privsep=1 token needs its own ACL: pveum acl modify /vms -token '${ep.tokenId}' -role PVEAuditor)`,
    });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    out.push({
      name: n("guests"),
      ok: false,
      detail: errorMessage(err),
      hint: "GET /cluster/resources?type=vm must work; see the error",
    });
    return out;
  }

  const name = n("guest agent permission");
  const candidates = entries.filter((e) => e.type === "qemu" && e.status === "running").slice(0, 10);
  for (const e of candidates) {
    const base = `/nodes/${encodeURIComponent(e.node)}/qemu/${e.vmid}`;
    try {
      const cfg = (await client.get(`${base}/config`, signal, { node: e.node })) as Record<
        string,
        unknown
      > | null;
      if (!agentEnabled(cfg?.agent)) continue;
      await client.get(`${base}/agent/network-get-interfaces`, signal, { node: e.node });
      out.push({ name, ok: true, detail: `read guest agent data of VM ${e.vmid}` });
      return out;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof PipamError && err.code === "forbidden") {
        out.push({ name, ok: false, detail: err.message, hint: agentHint(ep, major) });
        return out;
      }
      if (err instanceof PipamError && err.details.status === 500) {
        out.push({
          name,
          ok: true,
          detail: `permission ok (VM ${e.vmid} answered: ${err.message.replace(/^.*?: /, "")})`,
        });
        return out;
      }
    }
  }
  out.push({ name, ok: true, detail: "not tested: no running VM with the guest agent enabled" });
  return out;
}

function tlsDetail(ep: ProxmoxEndpoint, pins: string[], fp: string): string {
  if (pins.length > 0) return `certificate matches the pinned fingerprint ${fp}`;
  if (ep.insecure) return `verification OFF (insecure = true); to pin instead: fingerprint = "${fp}"`;
  return ep.caFile ? `verified against ${ep.caFile}` : "verified against the system CA store";
}
