/**
 * The NetBox double's data and NetBox's model rules (4.2.6): uniqueness, related objects that must
 * exist, primary IP / primary MAC constraints, cascading deletes, protected deletes (409), and the
 * two 500s NetBox 4.2.6 is known for (VM created with a primary IP; unparsable IP address).
 * Writes go through `put`/`del`, which keep the indexes and an undo journal, so a bulk request that
 * fails halfway is rolled back as NetBox's transaction is.
 */
import ipaddr from "ipaddr.js";

export type Kind = "tag" | "clustertype" | "cluster" | "vm" | "iface" | "mac" | "ip";
export type Rec = Record<string, unknown> & { id: number };

export class DoubleError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

const err = (field: string, message: string) => new DoubleError(400, { [field]: [message] });
export const IFACE_TYPE = "virtualization.vminterface";

/** Parses NetBox's address text; null when it cannot be parsed (NetBox 4.2.6 then answers 500). */
export function parseCidr(text: string): { ip: ipaddr.IPv4 | ipaddr.IPv6; len: number } | null {
  try {
    if (!text.includes("/")) {
      const ip = ipaddr.parse(text);
      return { ip, len: ip.kind() === "ipv4" ? 32 : 128 };
    }
    const [ip, len] = ipaddr.parseCIDR(text);
    return { ip, len };
  } catch {
    return null;
  }
}

export interface Store {
  readonly maps: Record<Kind, Map<number, Rec>>;
  get(kind: Kind, id: number): Rec | undefined;
  /** Ids in a group index, e.g. group("iface", "vm:42"). */
  group(kind: Kind, key: string): Set<number>;
  unique(kind: Kind, key: string): number | undefined;
  create(kind: Kind, body: Record<string, unknown>): Rec;
  update(kind: Kind, id: number, body: Record<string, unknown>): Rec;
  remove(kind: Kind, id: number): void;
  /** Runs fn atomically: on a throw every write made inside is undone. */
  atomic<T>(fn: () => T): T;
  tagIdBySlug(slug: string): number | undefined;
  /** Forget every object. */
  clear(): void;
}

function uniqueKeys(kind: Kind, r: Rec): string[] {
  switch (kind) {
    case "tag":
    case "clustertype":
      return [`slug:${r.slug}`, `name:${r.name}`];
    case "vm":
      return r.cluster == null ? [] : [`${r.cluster}/${String(r.name).toLowerCase()}`];
    case "iface":
      return [`${r.virtual_machine}/${r.name}`];
    case "ip": {
      const p = parseCidr(String(r.address));
      return p ? [p.ip.toString()] : [];
    }
    default:
      return [];
  }
}

function groupKeys(kind: Kind, r: Rec): string[] {
  const keys = ((r.tags as number[] | undefined) ?? []).map((t) => `tag:${t}`);
  if (kind === "cluster") keys.push(`type:${r.type}`);
  if (kind === "vm" && r.cluster != null) keys.push(`cluster:${r.cluster}`);
  if (kind === "vm" && r.primary_ip4 != null) keys.push(`pip:${r.primary_ip4}`);
  if (kind === "vm" && r.primary_ip6 != null) keys.push(`pip:${r.primary_ip6}`);
  if (kind === "iface") keys.push(`vm:${r.virtual_machine}`);
  if (kind === "iface" && r.primary_mac_address != null) keys.push(`pmac:${r.primary_mac_address}`);
  if (
    (kind === "ip" || kind === "mac") &&
    r.assigned_object_type === IFACE_TYPE &&
    r.assigned_object_id != null
  ) {
    keys.push(`iface:${r.assigned_object_id}`);
  }
  return keys;
}

export function createStore(): Store {
  const kinds: Kind[] = ["tag", "clustertype", "cluster", "vm", "iface", "mac", "ip"];
  const maps = Object.fromEntries(kinds.map((k) => [k, new Map<number, Rec>()])) as Record<
    Kind,
    Map<number, Rec>
  >;
  const uniq = Object.fromEntries(kinds.map((k) => [k, new Map<string, number>()])) as Record<
    Kind,
    Map<string, number>
  >;
  const groups = Object.fromEntries(kinds.map((k) => [k, new Map<string, Set<number>>()])) as Record<
    Kind,
    Map<string, Set<number>>
  >;
  let nextId = 1;
  let journal: (() => void)[] | undefined;

  function unindex(kind: Kind, r: Rec) {
    for (const k of uniqueKeys(kind, r)) if (uniq[kind].get(k) === r.id) uniq[kind].delete(k);
    for (const k of groupKeys(kind, r)) groups[kind].get(k)?.delete(r.id);
  }
  function index(kind: Kind, r: Rec) {
    for (const k of uniqueKeys(kind, r)) uniq[kind].set(k, r.id);
    for (const k of groupKeys(kind, r)) {
      const s = groups[kind].get(k);
      if (s) s.add(r.id);
      else groups[kind].set(k, new Set([r.id]));
    }
  }
  function put(kind: Kind, r: Rec) {
    const old = maps[kind].get(r.id);
    if (old) unindex(kind, old);
    maps[kind].set(r.id, r);
    index(kind, r);
    journal?.push(() => {
      unindex(kind, r);
      maps[kind].delete(r.id);
      if (old) {
        maps[kind].set(old.id, old);
        index(kind, old);
      }
    });
  }
  function del(kind: Kind, id: number) {
    const old = maps[kind].get(id);
    if (!old) return;
    unindex(kind, old);
    maps[kind].delete(id);
    journal?.push(() => {
      maps[kind].set(id, old);
      index(kind, old);
    });
  }
  const get = (kind: Kind, id: number) => maps[kind].get(id);
  const group = (kind: Kind, key: string) => groups[kind].get(key) ?? new Set<number>();

  function ref(kind: Kind, field: string, v: unknown): number | null {
    if (v === null || v === undefined) return null;
    if (typeof v === "number") {
      if (!maps[kind].has(v))
        throw err(field, `Related object not found using the provided numeric ID: ${v}`);
      return v;
    }
    const attrs = v as Record<string, unknown>;
    for (const r of maps[kind].values()) {
      if (Object.entries(attrs).every(([k, x]) => r[k] === x)) return r.id;
    }
    const py = Object.entries(attrs)
      .map(([k, x]) => `'${k}': '${x}'`)
      .join(", ");
    throw err(field, `Related object not found using the provided attributes: {${py}}`);
  }
  function tagIds(v: unknown): number[] {
    return ((v as unknown[]) ?? []).map((t) => ref("tag", "tags", t) as number);
  }

  const now = () => new Date().toISOString();

  /** Applies body onto base (writes resolve related objects) and checks the model rules. */
  function build(kind: Kind, base: Rec | undefined, body: Record<string, unknown>, id: number): Rec {
    const r: Rec = base ? { ...base } : { id, created: now() };
    for (const [k, v] of Object.entries(body)) if (k !== "id") r[k] = v;
    r.last_updated = now();
    if ("tags" in body || !base) r.tags = tagIds(body.tags);
    r.custom_fields ??= {};
    r.description ??= "";
    switch (kind) {
      case "tag":
        r.color ??= "9e9e9e";
        r.object_types ??= [];
        break;
      case "clustertype":
        break;
      case "cluster":
        r.type = ref("clustertype", "type", r.type);
        r.status ??= "active";
        r.comments ??= "";
        break;
      case "vm": {
        r.cluster = ref("cluster", "cluster", r.cluster);
        if (r.site != null)
          throw err("site", `Related object not found using the provided numeric ID: ${r.site}`);
        if (r.cluster == null)
          throw err("cluster", "A virtual machine must be assigned to a site and/or cluster.");
        r.status ??= "active";
        r.comments ??= "";
        r.serial ??= "";
        if (!base && (r.primary_ip4 != null || r.primary_ip6 != null)) {
          throw new DoubleError(500, "<h1>Server Error (500)</h1>");
        }
        for (const [f, fam] of [
          ["primary_ip4", 4],
          ["primary_ip6", 6],
        ] as const) {
          const ipId = ref("ip", f, r[f]);
          r[f] = ipId;
          if (ipId === null) continue;
          const ip = maps.ip.get(ipId) as Rec;
          const p = parseCidr(String(ip.address));
          const got = p?.ip.kind() === "ipv4" ? 4 : 6;
          if (got !== fam)
            throw err(f, `Must be an IPv${fam} address. (${ip.address} is an IPv${got} address.)`);
          const iface =
            ip.assigned_object_type === IFACE_TYPE
              ? maps.iface.get(ip.assigned_object_id as number)
              : undefined;
          if (iface?.virtual_machine !== r.id) {
            throw err(f, `The specified IP address (${ip.address}) is not assigned to this VM.`);
          }
        }
        break;
      }
      case "iface": {
        r.virtual_machine = ref("vm", "virtual_machine", r.virtual_machine);
        r.enabled ??= true;
        r.mtu ??= null;
        const macId = ref("mac", "primary_mac_address", r.primary_mac_address);
        r.primary_mac_address = macId;
        if (macId !== null) {
          const mac = maps.mac.get(macId) as Rec;
          if (mac.assigned_object_type !== IFACE_TYPE || mac.assigned_object_id !== r.id) {
            throw err(
              "primary_mac_address",
              `MAC address ${mac.mac_address} is not assigned to this interface.`,
            );
          }
        }
        break;
      }
      case "mac": {
        const m =
          /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i.exec(
            String(r.mac_address).trim(),
          );
        if (!m) throw err("mac_address", `Invalid MAC address format: ${r.mac_address}`);
        r.mac_address = m.slice(1).join(":").toUpperCase();
        assigned(r, "mac");
        r.comments ??= "";
        if (base && base.assigned_object_id != null) {
          const moved =
            base.assigned_object_id !== r.assigned_object_id ||
            base.assigned_object_type !== r.assigned_object_type;
          if (moved && group("iface", `pmac:${r.id}`).size > 0) {
            throw err(
              "assigned_object",
              "Cannot unassign/reassign MAC Address while it is designated as the primary MAC for an object",
            );
          }
        }
        break;
      }
      case "ip": {
        const p = parseCidr(String(r.address));
        if (!p) throw new DoubleError(500, "<h1>Server Error (500)</h1>");
        if (p.len === 0) throw err("address", "Cannot create IP address with /0 mask.");
        r.address = `${p.ip.toString()}/${p.len}`;
        r.status ??= "active";
        r.role ??= null;
        r.comments ??= "";
        r.dns_name = String(r.dns_name ?? "").toLowerCase();
        if (r.status === "slaac" && p.ip.kind() !== "ipv6")
          throw err("status", "Only IPv6 addresses can be assigned SLAAC status");
        assigned(r, "ip");
        const max = p.ip.kind() === "ipv4" ? 32 : 128;
        if (r.assigned_object_id != null && p.len < max - 1) {
          const cidr = `${p.ip.toString()}/${p.len}`;
          const isV4 = p.ip.kind() === "ipv4";
          const net = isV4
            ? ipaddr.IPv4.networkAddressFromCIDR(cidr)
            : ipaddr.IPv6.networkAddressFromCIDR(cidr);
          if (net.toString() === p.ip.toString()) {
            throw err("address", `Cannot assign network ID (${p.ip.toString()}) to an interface.`);
          }
          if (isV4 && ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString() === p.ip.toString()) {
            throw err("address", `Cannot assign broadcast address (${p.ip.toString()}) to an interface.`);
          }
        }
        if (base && group("vm", `pip:${r.id}`).size > 0) {
          const parentOf = (x: Rec) =>
            x.assigned_object_type === IFACE_TYPE
              ? maps.iface.get(x.assigned_object_id as number)?.virtual_machine
              : undefined;
          if (parentOf(base) !== parentOf(r)) {
            throw err(
              "non_field_errors",
              "Cannot reassign IP address while it is designated as the primary IP for the parent object",
            );
          }
        }
        break;
      }
    }
    // uniqueness (after normalisation)
    for (const k of uniqueKeys(kind, r)) {
      const holder = uniq[kind].get(k);
      if (holder !== undefined && holder !== r.id) {
        if (kind === "vm") throw err("__all__", "Virtual machine name must be unique per cluster.");
        if (kind === "ip") throw err("address", `Duplicate IP address found in global table: ${r.address}`);
        if (kind === "iface")
          throw err("__all__", "Virtual machine interface with this name already exists.");
        const field = k.slice(0, k.indexOf(":"));
        throw err(field, `${kind === "tag" ? "tag" : "cluster type"} with this ${field} already exists.`);
      }
    }
    return r;
  }

  function assigned(r: Rec, kind: Kind) {
    const t = r.assigned_object_type ?? null;
    const id = r.assigned_object_id ?? null;
    r.assigned_object_type = t;
    r.assigned_object_id = id;
    if (t === null && id === null) return;
    if (t !== IFACE_TYPE && t !== "dcim.interface") {
      throw err("assigned_object_type", `"${t}" is not a valid choice.`);
    }
    if (t === IFACE_TYPE && (id === null || !maps.iface.has(id as number))) {
      throw err(
        "assigned_object_id",
        `${kind === "ip" ? "IP address" : "MAC address"} target not found: ${id}`,
      );
    }
  }

  function remove(kind: Kind, id: number) {
    const r = maps[kind].get(id);
    if (!r) return;
    if (kind === "clustertype" && group("cluster", `type:${id}`).size > 0) {
      throw new DoubleError(409, {
        detail: `Unable to delete object. ${group("cluster", `type:${id}`).size} dependent objects were found`,
      });
    }
    if (kind === "cluster" && group("vm", `cluster:${id}`).size > 0) {
      throw new DoubleError(409, {
        detail: `Unable to delete object. ${group("vm", `cluster:${id}`).size} dependent objects were found`,
      });
    }
    if (kind === "vm") for (const i of [...group("iface", `vm:${id}`)]) remove("iface", i);
    if (kind === "iface") {
      for (const i of [...group("ip", `iface:${id}`)]) remove("ip", i);
      for (const m of [...group("mac", `iface:${id}`)]) remove("mac", m);
    }
    if (kind === "ip") {
      for (const vid of [...group("vm", `pip:${id}`)]) {
        const v = maps.vm.get(vid) as Rec;
        put("vm", {
          ...v,
          primary_ip4: v.primary_ip4 === id ? null : v.primary_ip4,
          primary_ip6: v.primary_ip6 === id ? null : v.primary_ip6,
        });
      }
    }
    if (kind === "mac") {
      for (const iid of [...group("iface", `pmac:${id}`)]) {
        put("iface", { ...(maps.iface.get(iid) as Rec), primary_mac_address: null });
      }
    }
    del(kind, id);
  }

  return {
    maps,
    get,
    group,
    unique: (kind, key) => uniq[kind].get(key),
    create(kind, body) {
      const r = build(kind, undefined, body, nextId);
      nextId++;
      put(kind, r);
      return r;
    },
    update(kind, id, body) {
      const base = maps[kind].get(id);
      if (!base) throw new DoubleError(404, { detail: "No object matches the given query." });
      const r = build(kind, base, body, id);
      put(kind, r);
      return r;
    },
    remove,
    atomic(fn) {
      const outer = journal;
      const mine: (() => void)[] = [];
      journal = mine;
      try {
        const out = fn();
        if (outer) outer.push(...mine);
        return out;
      } catch (e) {
        journal = undefined;
        for (let i = mine.length - 1; i >= 0; i--) mine[i]?.();
        throw e;
      } finally {
        journal = outer;
      }
    },
    tagIdBySlug: (slug) => uniq.tag.get(`slug:${slug}`),
    clear() {
      for (const k of kinds) {
        maps[k].clear();
        uniq[k].clear();
        groups[k].clear();
      }
    },
  };
}
