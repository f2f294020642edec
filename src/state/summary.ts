/**
 * A plan as people and scripts read it (`--dry-run`, `pipam output`): `formatPlanText` for a
 * terminal, `planJson` for `--json` (a plain object; the caller stringifies it).
 *
 *     DNS plan: 1 to create, 1 to update, 1 to delete
 *     + web.example.com. A 300 10.0.0.5  (default/100)
 *     ~ db.example.com. A 300 10.0.0.7 -> 600 10.0.0.8  (default/101)
 *     - old.example.com. A 300 10.0.0.9
 *     ! fqdn web.example.com.: name web.example.com. is wanted by 2 guests; ...
 */
import type { Changes, Conflict, Policy, RRset } from "./model.ts";
import { compareRRsets } from "./normalize.ts";

export interface PlanExtras {
  policy?: Policy;
  conflicts?: readonly Conflict[];
  /** Owned rrsets kept instead of deleted (incomplete inventory, held guests). */
  held?: readonly RRset[];
}

export interface PlanJson {
  summary: { create: number; update: number; delete: number; conflicts: number; held: number };
  policy?: Policy;
  create: RRsetJson[];
  update: { old: RRsetJson; new: RRsetJson }[];
  delete: RRsetJson[];
  conflicts: Conflict[];
  held: RRsetJson[];
}

export interface RRsetJson {
  zone: string;
  name: string;
  type: string;
  ttl: number;
  records: string[];
  owner?: string;
  guests?: string[];
}

export function planJson(c: Changes<RRset>, extras: PlanExtras = {}): PlanJson {
  const updates = pairs(c);
  const out: PlanJson = {
    summary: {
      create: c.create.length,
      update: updates.length,
      delete: c.delete.length,
      conflicts: extras.conflicts?.length ?? 0,
      held: extras.held?.length ?? 0,
    },
    create: sorted(c.create).map(toJson),
    update: updates.map(([o, n]) => ({ old: toJson(o), new: toJson(n) })),
    delete: sorted(c.delete).map(toJson),
    conflicts: [...(extras.conflicts ?? [])],
    held: sorted(extras.held ?? []).map(toJson),
  };
  if (extras.policy) out.policy = extras.policy;
  return out;
}

export function formatPlanText(c: Changes<RRset>, extras: PlanExtras = {}): string {
  const j = planJson(c, extras);
  const s = j.summary;
  const lines: string[] = [];
  const policy = extras.policy ? ` (policy ${extras.policy})` : "";
  if (s.create + s.update + s.delete === 0) lines.push(`DNS plan: no changes${policy}`);
  else lines.push(`DNS plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete${policy}`);
  for (const r of j.create) lines.push(`+ ${line(r)}${who(r)}`);
  for (const u of j.update) {
    lines.push(
      `~ ${u.old.name} ${u.old.type} ${u.old.ttl} ${u.old.records.join(",")} -> ${rest(u.new)}${who(u.new)}`,
    );
  }
  for (const r of j.delete) lines.push(`- ${line(r)}${who(r)}`);
  for (const r of j.held) lines.push(`= ${line(r)}  (kept: may not be deleted from this inventory)`);
  for (const k of j.conflicts) lines.push(`! ${k.kind} ${k.subject}: ${k.message}`);
  return `${lines.join("\n")}\n`;
}

function pairs(c: Changes<RRset>): [RRset, RRset][] {
  const out: [RRset, RRset][] = [];
  c.updateNew.forEach((n, i) => {
    const o = c.updateOld[i];
    if (o) out.push([o, n]);
  });
  return out.sort((a, b) => compareRRsets(a[1], b[1]));
}

function sorted(list: readonly RRset[]): RRset[] {
  return [...list].sort(compareRRsets);
}

function toJson(r: RRset): RRsetJson {
  const j: RRsetJson = { zone: r.zone, name: r.name, type: r.type, ttl: r.ttl, records: [...r.records] };
  if (r.owner !== undefined) j.owner = r.owner;
  if (r.guests) j.guests = [...r.guests];
  return j;
}

function line(r: RRsetJson): string {
  return `${r.name} ${r.type} ${rest(r)}`;
}

function rest(r: RRsetJson): string {
  return `${r.ttl} ${r.records.join(",")}`;
}

function who(r: RRsetJson): string {
  return r.guests && r.guests.length > 0 ? `  (${r.guests.join(", ")})` : "";
}
