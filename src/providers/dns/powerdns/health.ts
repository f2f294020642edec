/**
 * `pipam health` for PowerDNS: the API answers, the key is accepted, the server version, each
 * managed zone (and reverse zone) exists. Never throws: every problem becomes a failed check
 * with a hint.
 */
import { errorMessage, PipamError } from "../../../lib/errors.ts";
import type { HealthCheck } from "../../../lib/health.ts";
import { isReverseZone, normalizeName } from "../rrset.ts";
import type { PdnsClient } from "./client.ts";
import { errorText } from "./client.ts";
import type { ApiZone } from "./convert.ts";

export interface HealthOptions {
  zones: string[];
  reverseZones?: string[];
  createZones?: boolean;
}

function unreachable(client: PdnsClient, err: unknown): HealthCheck {
  const base = { name: "powerdns reachable", ok: false, detail: errorMessage(err) };
  if (err instanceof PipamError && err.code === "auth") {
    return {
      ...base,
      hint: "the API key was refused: compare pipam's PowerDNS api key with api-key in pdns.conf",
    };
  }
  if (err instanceof PipamError && err.code === "forbidden") {
    return { ...base, hint: "add this host to webserver-allow-from in pdns.conf" };
  }
  return {
    ...base,
    hint: `is pdns_server running with api=yes and webserver=yes, listening at ${client.serverUrl}?`,
  };
}

export async function powerDnsHealth(
  client: PdnsClient,
  opts: HealthOptions,
  signal: AbortSignal,
): Promise<HealthCheck[]> {
  const checks: HealthCheck[] = [];
  let zones: ApiZone[];
  try {
    const server = await client.request("GET", "", undefined, signal);
    if (server.status !== 200) {
      return [
        {
          name: "powerdns reachable",
          ok: false,
          detail: `GET ${client.serverUrl}: HTTP ${server.status} ${errorText(server.text)}`,
          hint: server.status === 404 ? "check the server id (usually localhost) and the URL" : undefined,
        },
      ];
    }
    const info = JSON.parse(server.text) as { version?: string; daemon_type?: string };
    checks.push({
      name: "powerdns reachable",
      ok: true,
      detail:
        `PowerDNS ${info.daemon_type ?? ""} ${info.version ?? "?"} at ${client.serverUrl}, API key accepted`
          .replace(/\s+/g, " ")
          .trim(),
    });
    const list = await client.request("GET", "/zones", undefined, signal);
    zones = list.status === 200 ? (JSON.parse(list.text) as ApiZone[]) : [];
    if (list.status !== 200) {
      checks.push({ name: "powerdns zones", ok: false, detail: `GET /zones: HTTP ${list.status}` });
      return checks;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    return [...checks, unreachable(client, err)];
  }

  const present = new Map(zones.map((z) => [normalizeName(z.name), z]));
  const zoneCheck = (zone: string, label: string): HealthCheck => {
    const z = present.get(zone);
    if (z)
      return {
        name: `powerdns ${label} ${zone}`,
        ok: true,
        detail: `present (${z.kind ?? "?"}, id ${z.id})`,
      };
    if (opts.createZones) {
      return {
        name: `powerdns ${label} ${zone}`,
        ok: true,
        detail: "missing; will be created (create_zones = true)",
      };
    }
    return {
      name: `powerdns ${label} ${zone}`,
      ok: false,
      detail: "missing on the server",
      hint: `create it (pdnsutil create-zone ${zone}, or POST /zones) or set create_zones = true`,
    };
  };
  for (const zone of opts.zones) checks.push(zoneCheck(zone, "zone"));
  if (opts.reverseZones) {
    for (const zone of opts.reverseZones) checks.push(zoneCheck(zone, "reverse zone"));
  } else {
    const found = [...present.keys()].filter(isReverseZone).sort();
    checks.push(
      found.length > 0
        ? { name: "powerdns reverse zones", ok: true, detail: `found ${found.join(", ")}` }
        : {
            name: "powerdns reverse zones",
            ok: false,
            detail: "no *.in-addr.arpa. or *.ip6.arpa. zone on the server: no PTR record can be written",
            hint: "create the reverse zones for your networks (e.g. 10.in-addr.arpa.), or turn PTR off",
          },
    );
  }
  return checks;
}
