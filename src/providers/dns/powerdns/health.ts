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
  const slow = await rectifyingZones(client, [...(opts.reverseZones ?? []), ...opts.zones], present, signal);
  const zoneCheck = (zone: string, label: string): HealthCheck => {
    const z = present.get(zone);
    if (z) {
      const note = slow.has(zone)
        ? `; api-rectify is on, so every PATCH rectifies the whole zone (slow for big zones): PUT /zones/${z.id} {"api_rectify": false} or set default-api-rectify=no`
        : "";
      return {
        name: `powerdns ${label} ${zone}`,
        ok: true,
        detail: `present (${z.kind ?? "?"}, id ${z.id})${note}`,
      };
    }
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

/**
 * Managed zones whose PATCHes rectify the whole zone: the server's default-api-rectify is yes and
 * the zone has no API-RECTIFY=0 metadata (the zone JSON's `api_rectify` does not show this).
 * Best effort: an unreadable config or metadata reports nothing.
 */
async function rectifyingZones(
  client: PdnsClient,
  names: string[],
  present: Map<string, ApiZone & { dnssec?: boolean }>,
  signal: AbortSignal,
): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    const cfg = await client.request("GET", "/config", undefined, signal);
    if (cfg.status !== 200) return out;
    const settings = JSON.parse(cfg.text) as { name: string; value: string }[];
    if (settings.find((x) => x.name === "default-api-rectify")?.value !== "yes") return out;
    for (const name of names) {
      const z = present.get(name);
      if (!z || z.dnssec) continue;
      const md = await client.request(
        "GET",
        `/zones/${encodeURIComponent(z.id)}/metadata`,
        undefined,
        signal,
      );
      if (md.status !== 200) continue;
      const list = JSON.parse(md.text) as { kind: string; metadata: string[] }[];
      const v = list.find((m) => m.kind.toUpperCase() === "API-RECTIFY")?.metadata[0];
      if (v !== "0") out.add(name);
    }
  } catch (err) {
    if (signal.aborted) throw err;
  }
  return out;
}
