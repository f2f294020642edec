import { describe, expect, test } from "bun:test";
import { addressCidr, deriveIpam, dnsNamesFromRRsets, vmStatus } from "./ipam-derive.ts";
import { planIpam } from "./ipam-plan.ts";
import type { IpamCurrent, IpamPlanOptions } from "./ipam-types.ts";
import { ipamChangeCount, keyFromDescription, vmDescription } from "./ipam-types.ts";
import type { Guest, Inventory } from "./model.ts";

function guest(vmid: number, name: string, ip: string, extra: Partial<Guest> = {}): Guest {
  return {
    cluster: "pve",
    node: "n1",
    vmid,
    type: "qemu",
    name,
    status: "running",
    template: false,
    tags: [],
    nics: [
      {
        name: "eth0",
        mac: `52:54:00:00:00:${vmid.toString(16).padStart(2, "0")}`,
        addresses: [
          { ip, family: 4, prefix: 24, source: "agent" },
          { ip: "fe80::1", family: 6, prefix: 64, source: "agent" },
        ],
      },
    ],
    ...extra,
  };
}
const inv = (guests: Guest[], complete = true): Inventory => ({
  collectedAt: 0,
  guests,
  complete,
  errors: [],
});
const opts: IpamPlanOptions = { tag: "pipam", adopt: false, policy: "sync" };
const empty: IpamCurrent = { tagExists: true, clusterIds: {}, vms: [], interfaces: [], macs: [], ips: [] };

/** What NetBox would hold after applying a first sync (ids assigned in order). */
function synced(guests: Guest[]): IpamCurrent {
  const d = deriveIpam(inv(guests));
  const cur: IpamCurrent = {
    tagExists: true,
    clusterTypeId: 1,
    clusterIds: { pve: 1 },
    vms: [],
    interfaces: [],
    macs: [],
    ips: [],
  };
  let id = 100;
  const vmIds = new Map<string, number>();
  const ifIds = new Map<string, number>();
  for (const v of d.vms) {
    const vid = id++;
    vmIds.set(v.key as string, vid);
    cur.vms.push({ ...v, id: vid, tagged: true, description: vmDescription(v.key as never) });
  }
  for (const i of d.interfaces) {
    const iid = id++;
    ifIds.set(`${i.vm}/${i.name}`, iid);
    cur.interfaces.push({ ...i, id: iid, vmId: vmIds.get(i.vm as string), tagged: true });
  }
  for (const m of d.macs)
    cur.macs.push({ ...m, id: id++, ifaceId: ifIds.get(`${m.vm}/${m.iface}`), tagged: true });
  for (const ip of d.ips)
    cur.ips.push({ ...ip, id: id++, ifaceId: ifIds.get(`${ip.vm}/${ip.iface}`), tagged: true });
  return cur;
}

describe("deriveIpam", () => {
  test("maps a guest to VM, interface, MAC, IP with prefix and dns_name, primary IPv4", () => {
    const d = deriveIpam(inv([guest(101, "web1", "10.0.0.11")]), {
      dnsNames: { "10.0.0.11": "Web1.Lab.Example." },
    });
    expect(d.clusters).toEqual(["pve"]);
    expect(d.vms).toEqual([
      { key: "pve/101", name: "web1", cluster: "pve", status: "active", primaryIp4: "10.0.0.11/24" },
    ]);
    expect(d.interfaces).toEqual([{ vm: "pve/101", name: "eth0", mac: "52:54:00:00:00:65" }]);
    expect(d.ips).toEqual([
      { vm: "pve/101", iface: "eth0", address: "10.0.0.11/24", dnsName: "web1.lab.example" },
    ]);
  });
  test("statuses, skipped addresses, clusterName override", () => {
    expect([vmStatus("running"), vmStatus("stopped"), vmStatus("paused"), vmStatus("unknown")]).toEqual([
      "active",
      "offline",
      "paused",
      undefined,
    ]);
    expect(addressCidr("10.0.0.0", 24)).toEqual({ skip: "10.0.0.0/24 is a network ID" });
    expect(addressCidr("10.0.0.255", 24)).toEqual({ skip: "10.0.0.255/24 is a broadcast address" });
    expect(addressCidr("127.0.0.1", 8)).toEqual({ skip: "loopback address" });
    expect(addressCidr("2001:db8::5", undefined)).toEqual({ cidr: "2001:db8::5/128" });
    const d = deriveIpam(inv([guest(1, "a", "10.0.0.1", { template: true }), guest(2, "b", "10.0.0.2")]), {
      clusterName: "lab",
    });
    expect(d.vms.map((v) => [v.name, v.cluster])).toEqual([["b", "lab"]]);
  });
  test("duplicate names and IPs: lowest key wins, the rest is a conflict", () => {
    const d = deriveIpam(
      inv([guest(3, "X", "10.0.0.9"), guest(2, "x", "10.0.0.8"), guest(4, "y", "10.0.0.8")]),
    );
    expect(d.vms.map((v) => v.key)).toEqual(["pve/2", "pve/4"]);
    expect(d.ips.map((i) => i.vm)).toEqual(["pve/2"]);
    expect(d.conflicts.map((c) => [c.kind, c.subject, c.losers[0]])).toEqual([
      ["fqdn", "X", "pve/3"],
      ["ip", "10.0.0.8", "pve/4"],
    ]);
  });
  test("dns names from A/AAAA rrsets: stable first name per IP, PTR ignored", () => {
    const rr = (name: string, type: "A" | "AAAA" | "PTR", records: string[]) => ({
      zone: "z.",
      name,
      type,
      ttl: 60,
      records,
    });
    const m = dnsNamesFromRRsets([
      rr("web.z.", "A", ["10.0.0.1"]),
      rr("alias.z.", "A", ["10.0.0.1", "10.0.0.2"]),
      rr("web.z.", "AAAA", ["2001:db8::1"]),
      rr("1.0.0.10.in-addr.arpa.", "PTR", ["other.z."]),
    ]);
    expect([...m.entries()].sort()).toEqual([
      ["10.0.0.1", "alias.z"],
      ["10.0.0.2", "alias.z"],
      ["2001:db8::1", "web.z"],
    ]);
  });
  test("identity marker round-trips", () => {
    expect(keyFromDescription(vmDescription("pve-a/12"))).toBe("pve-a/12");
    expect(keyFromDescription("hand written")).toBeUndefined();
  });
});

describe("planIpam", () => {
  const gs = [guest(101, "web1", "10.0.0.11"), guest(102, "web2", "10.0.0.12")];
  test("first sync creates everything", () => {
    const c = planIpam(deriveIpam(inv(gs)), empty, opts);
    expect(c.clusterType).toBe("proxmox");
    expect(c.clusters).toEqual(["pve"]);
    expect([
      c.vms.create.length,
      c.interfaces.create.length,
      c.macs.create.length,
      c.ips.create.length,
    ]).toEqual([2, 2, 2, 2]);
    expect(c.vms.create[0]?.description).toBe("pipam:pve/101");
  });
  test("unchanged → empty plan", () => {
    expect(ipamChangeCount(planIpam(deriveIpam(inv(gs)), synced(gs), opts))).toBe(0);
  });
  test("rename is an update of the same VM", () => {
    const c = planIpam(
      deriveIpam(inv([guest(101, "web1-new", "10.0.0.11"), gs[1] as Guest])),
      synced(gs),
      opts,
    );
    expect(c.vms.updateNew.map((v) => [v.id, v.name])).toEqual([[100, "web1-new"]]);
    expect(ipamChangeCount(c)).toBe(1);
  });
  test("IP change: old deleted, new created, primary moves", () => {
    const c = planIpam(deriveIpam(inv([guest(101, "web1", "10.0.0.99"), gs[1] as Guest])), synced(gs), opts);
    expect(c.ips.create.map((i) => i.address)).toEqual(["10.0.0.99/24"]);
    expect(c.ips.delete.map((i) => i.address)).toEqual(["10.0.0.11/24"]);
    expect(c.vms.updateNew.map((v) => v.primaryIp4)).toEqual(["10.0.0.99/24"]);
  });
  test("guest removed → only the VM is deleted (NetBox cascades)", () => {
    const c = planIpam(deriveIpam(inv([gs[1] as Guest])), synced(gs), opts);
    expect(c.vms.delete.map((v) => v.name)).toEqual(["web1"]);
    expect(ipamChangeCount(c)).toBe(1);
    expect(ipamChangeCount(planIpam(deriveIpam(inv([gs[1] as Guest], false)), synced(gs), opts))).toBe(0);
    expect(
      ipamChangeCount(
        planIpam(deriveIpam(inv([gs[1] as Guest])), synced(gs), { ...opts, policy: "upsert-only" }),
      ),
    ).toBe(0);
  });
  test("guest re-created with a new vmid and the same name: replaced under sync, conflict under upsert-only", () => {
    const next = [guest(201, "web1", "10.0.0.21"), gs[1] as Guest];
    const c = planIpam(deriveIpam(inv(next)), synced(gs), opts);
    expect([c.vms.delete.map((v) => v.key), c.vms.create.map((v) => v.key), c.conflicts]).toEqual([
      ["pve/101"],
      ["pve/201"],
      [],
    ]);
    const u = planIpam(deriveIpam(inv(next)), synced(gs), { ...opts, policy: "upsert-only" });
    expect([u.vms.create.length, u.ips.create.length]).toEqual([0, 0]);
    expect(u.conflicts.map((x) => [x.subject, x.winner, x.losers[0]])).toEqual([
      ["web1", "pve/101", "pve/201"],
    ]);
  });
  test("stopped → offline; create-only leaves it", () => {
    const stopped = [guest(101, "web1", "10.0.0.11", { status: "stopped" }), gs[1] as Guest];
    expect(planIpam(deriveIpam(inv(stopped)), synced(gs), opts).vms.updateNew.map((v) => v.status)).toEqual([
      "offline",
    ]);
    expect(
      ipamChangeCount(planIpam(deriveIpam(inv(stopped)), synced(gs), { ...opts, policy: "create-only" })),
    ).toBe(0);
  });
  test("untagged VM and IP with the same name/address: conflict, or adopted", () => {
    const cur = synced([gs[0] as Guest]);
    for (const x of [...cur.vms, ...cur.interfaces, ...cur.ips]) x.tagged = false;
    for (const v of cur.vms) delete v.key;
    cur.macs = [];
    const c = planIpam(deriveIpam(inv([gs[0] as Guest])), cur, opts);
    expect(c.conflicts.map((x) => [x.kind, x.subject])).toEqual([["foreign", "web1"]]);
    expect(ipamChangeCount(c) - c.clusters.length).toBe(0);
    const a = planIpam(deriveIpam(inv([gs[0] as Guest])), cur, { ...opts, adopt: true });
    expect([
      a.vms.updateNew.length,
      a.interfaces.updateNew.length,
      a.ips.updateNew.length,
      a.macs.create.length,
    ]).toEqual([1, 1, 1, 1]);
  });
});
