/** NetBox-shaped JSON for the double's records (4.2.6 serializers: nested briefs, {value,label} choices). */
import { IFACE_TYPE, type Kind, parseCidr, type Rec, type Store } from "./store.ts";

export const LIST_PATHS: Record<Kind, string> = {
  tag: "/api/extras/tags/",
  clustertype: "/api/virtualization/cluster-types/",
  cluster: "/api/virtualization/clusters/",
  vm: "/api/virtualization/virtual-machines/",
  iface: "/api/virtualization/interfaces/",
  mac: "/api/dcim/mac-addresses/",
  ip: "/api/ipam/ip-addresses/",
};

const UI: Record<Kind, string> = {
  tag: "/extras/tags/",
  clustertype: "/virtualization/cluster-types/",
  cluster: "/virtualization/clusters/",
  vm: "/virtualization/virtual-machines/",
  iface: "/virtualization/interfaces/",
  mac: "/dcim/mac-addresses/",
  ip: "/ipam/ip-addresses/",
};

const label = (v: unknown) => {
  const s = String(v);
  return s === "dhcp" ? "DHCP" : s === "slaac" ? "SLAAC" : s.charAt(0).toUpperCase() + s.slice(1);
};
const choice = (v: unknown) => (v === null || v === undefined ? null : { value: v, label: label(v) });
const family = (v: 4 | 6) => ({ value: v, label: `IPv${v}` });

export function createRender(store: Store, base: () => string) {
  const links = (kind: Kind, id: number) => ({
    id,
    url: `${base()}${LIST_PATHS[kind]}${id}/`,
    display_url: `${base()}${UI[kind]}${id}/`,
  });
  const brief = (kind: Kind, id: unknown): Record<string, unknown> | null => {
    if (id === null || id === undefined) return null;
    const r = store.get(kind, id as number);
    if (!r) return null;
    const b: Record<string, unknown> = { id: r.id, url: links(kind, r.id).url, display: display(kind, r) };
    if (kind === "tag") b.display_url = links(kind, r.id).display_url;
    if (kind === "ip") {
      const p = parseCidr(String(r.address));
      Object.assign(b, {
        family: family(p?.ip.kind() === "ipv4" ? 4 : 6),
        address: r.address,
        description: r.description,
      });
    } else if (kind === "mac") Object.assign(b, { mac_address: r.mac_address, description: r.description });
    else if (kind === "iface") {
      Object.assign(b, {
        virtual_machine: brief("vm", r.virtual_machine),
        name: r.name,
        description: r.description,
        cable: null,
        _occupied: false,
      });
    } else if (kind === "tag") Object.assign(b, { name: r.name, slug: r.slug, color: r.color });
    else if (kind === "clustertype") {
      const n = store.group("cluster", `type:${r.id}`).size;
      Object.assign(b, { name: r.name, slug: r.slug, description: r.description, cluster_count: n });
    } else Object.assign(b, { name: r.name, description: r.description });
    if (kind === "cluster") b.virtualmachine_count = store.group("vm", `cluster:${r.id}`).size;
    return b;
  };
  const tags = (r: Rec) => ((r.tags as number[]) ?? []).map((t) => brief("tag", t));
  const common = (kind: Kind, r: Rec) => ({
    ...links(kind, r.id),
    display: display(kind, r),
  });
  const tail = (r: Rec) => ({
    tags: tags(r),
    custom_fields: r.custom_fields ?? {},
    created: r.created,
    last_updated: r.last_updated,
  });

  function render(kind: Kind, r: Rec, opts: { configContext?: boolean } = {}): Record<string, unknown> {
    switch (kind) {
      case "tag":
        return {
          ...common(kind, r),
          name: r.name,
          slug: r.slug,
          color: r.color,
          description: r.description,
          object_types: r.object_types ?? [],
          tagged_items: 0,
          created: r.created,
          last_updated: r.last_updated,
        };
      case "clustertype":
        return {
          ...common(kind, r),
          name: r.name,
          slug: r.slug,
          description: r.description,
          ...tail(r),
          cluster_count: store.group("cluster", `type:${r.id}`).size,
        };
      case "cluster":
        return {
          ...common(kind, r),
          name: r.name,
          type: brief("clustertype", r.type),
          group: null,
          status: choice(r.status),
          tenant: null,
          scope_type: null,
          scope_id: null,
          scope: null,
          description: r.description,
          comments: r.comments,
          ...tail(r),
          device_count: 0,
          virtualmachine_count: store.group("vm", `cluster:${r.id}`).size,
          allocated_vcpus: 0,
          allocated_memory: 0,
          allocated_disk: 0,
        };
      case "vm": {
        const p4 = brief("ip", r.primary_ip4);
        const p6 = brief("ip", r.primary_ip6);
        const out: Record<string, unknown> = {
          ...common(kind, r),
          name: r.name,
          status: choice(r.status),
          site: null,
          cluster: brief("cluster", r.cluster),
          device: null,
          serial: r.serial,
          role: null,
          tenant: null,
          platform: null,
          primary_ip: p6 ?? p4,
          primary_ip4: p4,
          primary_ip6: p6,
          vcpus: r.vcpus ?? null,
          memory: r.memory ?? null,
          disk: r.disk ?? null,
          description: r.description,
          comments: r.comments,
          config_template: null,
          local_context_data: r.local_context_data ?? null,
          ...tail(r),
          interface_count: store.group("iface", `vm:${r.id}`).size,
          virtual_disk_count: 0,
        };
        if (opts.configContext !== false) out.config_context = {};
        return out;
      }
      case "iface": {
        const macs = [...store.group("mac", `iface:${r.id}`)].map((m) => brief("mac", m));
        const pm = brief("mac", r.primary_mac_address);
        return {
          ...common(kind, r),
          virtual_machine: brief("vm", r.virtual_machine),
          name: r.name,
          enabled: r.enabled,
          parent: null,
          bridge: null,
          mtu: r.mtu,
          mac_address: pm ? pm.mac_address : null,
          primary_mac_address: pm,
          mac_addresses: macs,
          description: r.description,
          mode: null,
          untagged_vlan: null,
          tagged_vlans: [],
          qinq_svlan: null,
          vlan_translation_policy: null,
          vrf: null,
          l2vpn_termination: null,
          ...tail(r),
          count_ipaddresses: store.group("ip", `iface:${r.id}`).size,
          count_fhrp_groups: 0,
        };
      }
      case "mac":
        return {
          ...common(kind, r),
          mac_address: r.mac_address,
          assigned_object_type: r.assigned_object_type,
          assigned_object_id: r.assigned_object_id,
          assigned_object:
            r.assigned_object_type === IFACE_TYPE ? brief("iface", r.assigned_object_id) : null,
          description: r.description,
          comments: r.comments,
          ...tail(r),
        };
      case "ip": {
        const p = parseCidr(String(r.address));
        return {
          ...common(kind, r),
          family: family(p?.ip.kind() === "ipv4" ? 4 : 6),
          address: r.address,
          vrf: null,
          tenant: null,
          status: choice(r.status),
          role: r.role ? choice(r.role) : null,
          assigned_object_type: r.assigned_object_type,
          assigned_object_id: r.assigned_object_id,
          assigned_object:
            r.assigned_object_type === IFACE_TYPE ? brief("iface", r.assigned_object_id) : null,
          nat_inside: null,
          nat_outside: [],
          dns_name: r.dns_name,
          description: r.description,
          comments: r.comments,
          ...tail(r),
        };
      }
    }
  }
  return { render, brief };
}

function display(kind: Kind, r: Rec): string {
  if (kind === "ip") return String(r.address);
  if (kind === "mac") return String(r.mac_address);
  return String(r.name);
}
