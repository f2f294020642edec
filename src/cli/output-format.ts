/**
 * `pipam output` formats: a readable table and the stable JSON document `pipam.output/v1`
 * (docs/output-schema.md). The JSON is built field by field, never by spreading the model,
 * so a change to the internal model cannot silently change the schema.
 */
import ipaddr from "ipaddr.js";
import type { Guest, Inventory } from "../state/model.ts";

export const OUTPUT_SCHEMA = "pipam.output/v1";

/** host = loopback, link = link-local, global = everything else (as `ip addr` says). */
export type AddressScope = "host" | "link" | "global";

export interface OutputAddress {
  ip: string;
  family: 4 | 6;
  prefix: number | null;
  source: string;
  scope: AddressScope;
  nic: string;
}

export function addressScope(ip: string): AddressScope {
  try {
    const range = ipaddr.parse(ip).range();
    if (range === "loopback") return "host";
    if (range === "linkLocal") return "link";
  } catch {}
  return "global";
}

export interface OutputGuest {
  cluster: string;
  node: string;
  vmid: number;
  type: "qemu" | "lxc";
  name: string;
  status: string;
  template: boolean;
  tags: string[];
  nics: { name: string; mac: string | null; addresses: Omit<OutputAddress, "nic">[] }[];
  addresses: OutputAddress[];
  error: string | null;
}

export interface OutputDocument {
  schema: typeof OUTPUT_SCHEMA;
  collectedAt: string;
  complete: boolean;
  clusters: string[];
  guests: OutputGuest[];
  errors: { cluster: string; node: string | null; vmid: number | null; message: string }[];
}

const byGuest = (a: Guest, b: Guest) => a.cluster.localeCompare(b.cluster) || a.vmid - b.vmid;

export function toOutputDocument(inv: Inventory, clusters: readonly string[]): OutputDocument {
  const guests = [...inv.guests].sort(byGuest).map((g): OutputGuest => {
    const nics = g.nics.map((n) => ({
      name: n.name,
      mac: n.mac ?? null,
      addresses: n.addresses.map((a) => ({
        ip: a.ip,
        family: a.family,
        prefix: a.prefix ?? null,
        source: a.source,
        scope: addressScope(a.ip),
      })),
    }));
    return {
      cluster: g.cluster,
      node: g.node,
      vmid: g.vmid,
      type: g.type,
      name: g.name,
      status: g.status,
      template: g.template,
      tags: [...g.tags],
      nics,
      addresses: nics.flatMap((n) => n.addresses.map((a) => ({ ...a, nic: n.name }))),
      error: g.error ?? null,
    };
  });
  return {
    schema: OUTPUT_SCHEMA,
    collectedAt: new Date(inv.collectedAt).toISOString(),
    complete: inv.complete,
    clusters: [...clusters],
    guests,
    errors: inv.errors.map((e) => ({
      cluster: e.cluster,
      node: e.node ?? null,
      vmid: e.vmid ?? null,
      message: e.message,
    })),
  };
}

function clip(s: string, max: number): string {
  const one = s.replace(/[\r\n\t]+/g, " ").replace(/\p{Cc}/gu, "?");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Aligned columns; the last column is not padded. */
export function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...c].length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - [...c].length)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The table; loopback and link-local addresses only with `all`. */
export function formatTable(doc: OutputDocument, opts: { all?: boolean } = {}): string {
  const shown = (g: OutputGuest) => g.addresses.filter((a) => opts.all || a.scope === "global");
  const rows = [["CLUSTER", "NODE", "VMID", "TYPE", "NAME", "STATUS", "IPS", "FROM", "ERROR"]];
  for (const g of doc.guests) {
    const addrs = shown(g);
    const ips = addrs.map((a) => (a.prefix !== null ? `${a.ip}/${a.prefix}` : a.ip));
    const from = [...new Set(addrs.map((a) => a.source))];
    rows.push([
      clip(g.cluster, 20),
      clip(g.node, 20),
      String(g.vmid),
      g.template ? `${g.type}(tpl)` : g.type,
      clip(g.name || "-", 40),
      g.status,
      ips.join(",") || "-",
      from.join(",") || "-",
      g.error ? clip(g.error, 100) : "",
    ]);
  }
  const lines = [formatColumns(rows)];
  const n = doc.guests.length;
  const withIps = doc.guests.filter((g) => shown(g).length > 0).length;
  const failed = doc.guests.filter((g) => g.error !== null).length;
  lines.push("", `${n} guest${n === 1 ? "" : "s"}, ${withIps} with addresses, ${failed} with errors`);
  for (const e of doc.errors.filter((e) => e.vmid === null)) {
    lines.push(`error: ${e.cluster}${e.node ? `/${e.node}` : ""}: ${e.message}`);
  }
  if (!doc.complete) lines.push("warning: the guest list is incomplete (a list call failed)");
  return `${lines.join("\n")}\n`;
}
