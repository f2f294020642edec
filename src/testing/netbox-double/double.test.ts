import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createNetboxDouble, type NetboxDouble } from "./index.ts";
import { loadNetboxSchema } from "./openapi.ts";

let nb: NetboxDouble;
beforeAll(async () => {
  nb = await createNetboxDouble();
});
afterAll(async () => {
  await nb.stop();
});
beforeEach(() => {
  nb.store.clear();
  nb.resetCounters();
});

const call = (method: string, path: string, body?: unknown, auth = `Token ${nb.token}`) =>
  fetch(`${nb.url}${path}`, {
    method,
    headers: { Authorization: auth, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

function world() {
  const tag = nb.seed("tag", { name: "pipam", slug: "pipam" });
  const ct = nb.seed("clustertype", { name: "proxmox", slug: "proxmox", tags: ["pipam"] });
  const cl = nb.seed("cluster", { name: "lab", type: ct.id, tags: ["pipam"] });
  const vm = nb.seed("vm", { name: "web1", cluster: cl.id, tags: ["pipam"] });
  const iface = nb.seed("iface", { name: "eth0", virtual_machine: vm.id, tags: ["pipam"] });
  const on = { assigned_object_type: "virtualization.vminterface", assigned_object_id: iface.id };
  const mac = nb.seed("mac", { mac_address: "52:54:00:00:00:01", ...on, tags: ["pipam"] });
  nb.store.update("iface", iface.id, { primary_mac_address: mac.id });
  const ip = nb.seed("ip", { address: "10.0.0.5/24", dns_name: "Web1.Example", ...on, tags: ["pipam"] });
  nb.store.update("vm", vm.id, { primary_ip4: ip.id });
  return { tag, ct, cl, vm, iface, mac, ip };
}

describe("netbox double", () => {
  test("responses are NetBox-shaped (validate against the schema's response components)", async () => {
    world();
    const schema = loadNetboxSchema();
    const pairs: [string, string][] = [
      ["/api/extras/tags/", "Tag"],
      ["/api/virtualization/cluster-types/", "ClusterType"],
      ["/api/virtualization/clusters/", "Cluster"],
      ["/api/virtualization/virtual-machines/", "VirtualMachineWithConfigContext"],
      ["/api/virtualization/interfaces/", "VMInterface"],
      ["/api/dcim/mac-addresses/", "MACAddress"],
      ["/api/ipam/ip-addresses/", "IPAddress"],
    ];
    for (const [path, component] of pairs) {
      const res = await call("GET", path);
      expect(res.headers.get("API-Version")).toBe("4.2");
      const body = (await res.json()) as { results: unknown[] };
      expect(body.results.length).toBe(1);
      // Schema defect: NetBox renders an empty choice as null, but these are not nullable in 4.2.6.
      const defects = new Set(["VMInterface.mode", "IPAddress.role"]);
      const issues = schema
        .validate(component, body.results[0])
        .filter((i) => !defects.has(`${component}.${i.field}`));
      expect({ component, issues }).toEqual({ component, issues: [] });
    }
    const ip = (
      (await (await call("GET", "/api/ipam/ip-addresses/")).json()) as { results: { dns_name: string }[] }
    ).results[0];
    expect(ip?.dns_name).toBe("web1.example");
    expect(nb.rejected).toEqual([]);
  });

  test("auth: v1 and v2 forms, wrong keyword, wrong token", async () => {
    expect((await call("GET", "/api/status/", undefined, `Token ${nb.token}`)).status).toBe(200);
    expect((await call("GET", "/api/status/", undefined, `Bearer ${nb.v2Token}`)).status).toBe(200);
    const bad = await call("GET", "/api/status/", undefined, "Bearer nbt_nodot");
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain("Could not parse key from v2 token");
    expect((await call("GET", "/api/status/", undefined, `Basic ${nb.token}`)).status).toBe(403);
    expect((await call("GET", "/api/status/", undefined, `Token ${"0".repeat(40)}`)).status).toBe(403);
    expect(nb.rejected.length).toBe(3);
  });

  test("pagination: limit, offset, absolute next links, max page size", async () => {
    const t = nb.seed("tag", { name: "t", slug: "t" });
    for (let i = 0; i < 5; i++) nb.seed("clustertype", { name: `c${i}`, slug: `c${i}`, tags: [t.id] });
    const p1 = (await (await call("GET", "/api/virtualization/cluster-types/?tag=t&limit=2")).json()) as {
      count: number;
      next: string;
      results: { name: string }[];
    };
    expect(p1.count).toBe(5);
    expect(p1.results.map((r) => r.name)).toEqual(["c0", "c1"]);
    expect(p1.next).toBe(`${nb.url}/api/virtualization/cluster-types/?tag=t&limit=2&offset=2`);
    const p3 = (await (
      await call("GET", "/api/virtualization/cluster-types/?tag=t&limit=2&offset=4")
    ).json()) as {
      next: null;
      results: unknown[];
    };
    expect([p3.next, p3.results.length]).toEqual([null, 1]);
  });

  test("query strictness: unknown parameter, bad value, unknown tag, deleted VM id", async () => {
    for (const q of ["nosuch=1", "cluster_id=abc", "tag=nope", "virtual_machine_id=999"]) {
      const path = q.startsWith("virtual")
        ? "/api/virtualization/interfaces/"
        : "/api/virtualization/virtual-machines/";
      expect({ q, status: (await call("GET", `${path}?${q}`)).status }).toEqual({ q, status: 400 });
    }
    expect(nb.rejected.length).toBe(4);
  });

  test("a primary IP may move between the VM's own interfaces, not to another VM", async () => {
    const w = world();
    const eth1 = nb.seed("iface", { name: "eth1", virtual_machine: w.vm.id });
    const other = nb.seed("vm", { name: "other", cluster: w.cl.id });
    const oIf = nb.seed("iface", { name: "eth0", virtual_machine: other.id });
    const move = (ifaceId: number) =>
      call("PATCH", "/api/ipam/ip-addresses/", [
        { id: w.ip.id, assigned_object_type: "virtualization.vminterface", assigned_object_id: ifaceId },
      ]);
    expect((await move(eth1.id)).status).toBe(200);
    const refused = await move(oIf.id);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Cannot reassign IP address");
    expect(nb.store.get("ip", w.ip.id)?.assigned_object_id).toBe(eth1.id);
  });

  test("bulk writes are atomic; bulk PATCH/DELETE need ids; protected deletes answer 409", async () => {
    const w = world();
    const res = await call("POST", "/api/virtualization/virtual-machines/", [
      { name: "ok1", cluster: w.cl.id },
      { name: "WEB1", cluster: w.cl.id },
    ]);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("must be unique per cluster");
    expect([...nb.store.maps.vm.values()].map((v) => v.name)).toEqual(["web1"]);
    expect(
      (await call("PATCH", "/api/virtualization/virtual-machines/", [{ status: "offline" }])).status,
    ).toBe(400);
    expect((await call("DELETE", "/api/virtualization/virtual-machines/", [{ name: "web1" }])).status).toBe(
      400,
    );
    expect((await call("DELETE", "/api/virtualization/cluster-types/", [{ id: w.ct.id }])).status).toBe(409);
    expect(
      (
        await call("PATCH", "/api/ipam/ip-addresses/", [
          { id: w.ip.id, assigned_object_id: null, assigned_object_type: null },
        ])
      ).status,
    ).toBe(400);
    expect((await call("POST", "/api/ipam/ip-addresses/", { address: "10.0.0.5/16" })).status).toBe(400);
    expect(
      (
        await call("POST", "/api/ipam/ip-addresses/", {
          address: "10.0.0.0/24",
          ...{ assigned_object_type: "virtualization.vminterface", assigned_object_id: w.iface.id },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call("POST", "/api/virtualization/virtual-machines/", {
          name: "x",
          cluster: w.cl.id,
          primary_ip4: w.ip.id,
        })
      ).status,
    ).toBe(500);
    expect((await call("DELETE", "/api/virtualization/virtual-machines/", [{ id: w.vm.id }])).status).toBe(
      204,
    );
    expect([nb.store.maps.iface.size, nb.store.maps.mac.size, nb.store.maps.ip.size]).toEqual([0, 0, 0]);
    expect(nb.rejected.map((r) => r.status)).toEqual([400, 400, 400, 409, 400, 400, 400, 500]);
  });
});
