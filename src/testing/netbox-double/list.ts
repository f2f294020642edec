/** The double's list GET (filters, tag rules, pagination), its auth check and its error type. */
import type { NetboxSchema } from "./openapi.ts";
import { LIST_PATHS } from "./render.ts";
import { IFACE_TYPE, type Kind, parseCidr, type Rec, type Store } from "./store.ts";

export interface ListDeps {
  store: Store;
  schema: NetboxSchema;
  render: (kind: Kind, r: Rec, opts?: { configContext?: boolean }) => Record<string, unknown>;
  base: string;
  maxPage: number;
}

/** Filters the double implements, per kind (anything else the schema allows gets a loud 400). */
const FILTERS: Record<Kind, string[]> = {
  tag: ["id", "name", "slug"],
  clustertype: ["id", "name", "slug", "tag"],
  cluster: ["id", "name", "type_id", "tag"],
  vm: ["id", "name", "tag", "cluster_id", "cluster_id__n", "description"],
  iface: ["id", "name", "tag", "virtual_machine_id", "cluster_id", "cluster_id__n"],
  mac: ["id", "tag", "virtual_machine_id", "vminterface_id", "mac_address"],
  ip: ["id", "tag", "virtual_machine_id", "vminterface_id", "address"],
};
const PAGING = new Set(["limit", "offset", "ordering", "brief", "fields", "omit", "exclude"]);

export class Reject extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body));
  }
}

export function checkAuth(h: string | null, token: string, v2Token: string): void {
  if (!h) throw new Reject(403, { detail: "Authentication credentials were not provided." });
  const m = /^(\S+)\s+(.+)$/.exec(h.trim());
  const keyword = m?.[1]?.toLowerCase();
  if (!m || (keyword !== "token" && keyword !== "bearer")) {
    throw new Reject(403, { detail: "Authentication credentials were not provided." });
  }
  const value = m[2] as string;
  if (value.startsWith("nbt_")) {
    if (!value.includes(".")) {
      throw new Reject(403, {
        detail:
          "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?",
      });
    }
    // 4.2.6 has no v2 tokens; the double accepts them so clients for 4.5+ can be tested too.
    if (value !== v2Token) throw new Reject(403, { detail: "Invalid v2 token" });
    return;
  }
  if (value !== token) throw new Reject(403, { detail: "Invalid v1 token" });
}

export function listPage(deps: ListDeps, kind: Kind, q: URLSearchParams, pathname: string): unknown {
  const { store, schema, render, base, maxPage } = deps;
  const issues = schema.endpoint(LIST_PATHS[kind]).query(q);
  if (issues.length > 0) throw new Reject(400, toDrf(issues));
  for (const name of new Set(q.keys())) {
    if (!PAGING.has(name) && !FILTERS[kind].includes(name)) {
      throw new Reject(400, {
        [name]: [`netbox-double: filter "${name}" is valid for NetBox but not implemented here`],
      });
    }
  }
  let ids: Iterable<number> = store.maps[kind].keys();
  const tagSlugs = q.getAll("tag");
  if (tagSlugs.length > 0) {
    const tagIds = tagSlugs.map((s) => {
      const id = store.tagIdBySlug(s);
      if (id === undefined)
        throw new Reject(400, {
          tag: [`Select a valid choice. ${s} is not one of the available choices.`],
        });
      return id;
    });
    const sets = tagIds.map((t) => store.group(kind, `tag:${t}`));
    ids = [...(sets[0] as Set<number>)].filter((id) => sets.every((s) => s.has(id)));
  }
  const ints = (name: string) => q.getAll(name).map(Number);
  const vmIds = ints("virtual_machine_id");
  for (const v of vmIds) {
    if (!store.get("vm", v)) {
      throw new Reject(400, {
        virtual_machine_id: [`Select a valid choice. ${v} is not one of the available choices.`],
      });
    }
  }
  const ifaceIdsOfVms = new Set<number>();
  for (const v of vmIds) for (const i of store.group("iface", `vm:${v}`)) ifaceIdsOfVms.add(i);
  const hosts = q.getAll("address").map((a) => {
    const p = parseCidr(a);
    if (!p) throw new Reject(400, { address: [`Enter a valid IPv4 or IPv6 address: ${a}`] });
    return p.ip.toString();
  });
  const want = (name: string) => q.getAll(name);
  const out: Rec[] = [];
  for (const id of ids) {
    const r = store.get(kind, id) as Rec;
    if (q.has("id") && !ints("id").includes(r.id)) continue;
    if (q.has("name")) {
      const n = String(r.name);
      const ok =
        kind === "vm"
          ? want("name").some((x) => x.toLowerCase() === n.toLowerCase())
          : want("name").includes(n);
      if (!ok) continue;
    }
    if (q.has("slug") && !want("slug").includes(String(r.slug))) continue;
    if (q.has("description") && !want("description").includes(String(r.description))) continue;
    if (q.has("type_id") && !ints("type_id").includes(r.type as number)) continue;
    if (q.has("cluster_id") || q.has("cluster_id__n")) {
      const c = kind === "iface" ? store.get("vm", r.virtual_machine as number)?.cluster : r.cluster;
      if (q.has("cluster_id") && !ints("cluster_id").includes(c as number)) continue;
      if (q.has("cluster_id__n") && ints("cluster_id__n").includes(c as number)) continue;
    }
    if (vmIds.length > 0) {
      const ok =
        kind === "iface"
          ? vmIds.includes(r.virtual_machine as number)
          : r.assigned_object_type === IFACE_TYPE && ifaceIdsOfVms.has(r.assigned_object_id as number);
      if (!ok) continue;
    }
    if (q.has("vminterface_id")) {
      if (
        r.assigned_object_type !== IFACE_TYPE ||
        !ints("vminterface_id").includes(r.assigned_object_id as number)
      )
        continue;
    }
    if (hosts.length > 0 && !hosts.includes(parseCidr(String(r.address))?.ip.toString() ?? "")) continue;
    if (q.has("mac_address") && !want("mac_address").some((m) => m.toUpperCase() === r.mac_address)) continue;
    out.push(r);
  }
  out.sort((a, b) => a.id - b.id);
  let limit = q.has("limit") ? Number(q.get("limit")) : 50;
  if (limit <= 0 || limit > maxPage) limit = maxPage;
  const offset = q.has("offset") ? Math.max(0, Number(q.get("offset"))) : 0;
  const page = out.slice(offset, offset + limit);
  const link = (o: number) => {
    const n = new URLSearchParams(q);
    n.set("limit", String(limit));
    n.set("offset", String(o));
    return `${base}${pathname}?${n.toString()}`;
  };
  const cc = !(q.getAll("exclude").includes("config_context") || q.has("brief"));
  return {
    count: out.length,
    next: offset + limit < out.length ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    results: page.map((r) => render(kind, r, { configContext: cc })),
  };
}

export function toDrf(issues: { field: string; message: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of issues) {
    const f = i.field || "non_field_errors";
    out[f] = [...(out[f] ?? []), i.message];
  }
  return out;
}
