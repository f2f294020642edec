import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { PipamError } from "../../../lib/errors.ts";
import { silentLogger } from "../../../log/logger.ts";
import { deriveIpam } from "../../../state/ipam-derive.ts";
import { planIpam } from "../../../state/ipam-plan.ts";
import type { IpamPlanOptions } from "../../../state/ipam-types.ts";
import { ipamChangeCount } from "../../../state/ipam-types.ts";
import type { Guest, Inventory, Policy } from "../../../state/model.ts";
import { createNetboxDouble, type NetboxDouble } from "../../../testing/netbox-double/index.ts";
import { createNetboxProvider, type NetboxProvider } from "./index.ts";

let nb: NetboxDouble;
let provider: NetboxProvider;
const signal = new AbortController().signal;
const noSleep = { now: () => 0, sleep: async () => {} };

beforeAll(async () => {
  nb = await createNetboxDouble();
  provider = makeProvider(nb.token);
});
afterAll(async () => {
  await nb.stop();
});
beforeEach(() => {
  nb.store.clear();
  nb.resetCounters();
  nb.rejectWhen(undefined);
  provider = makeProvider(nb.token);
});

function makeProvider(token: string, extra: { bulkSize?: number; fetch?: typeof fetch } = {}) {
  return createNetboxProvider({
    url: nb.url,
    token,
    tag: "pipam",
    clusterName: "lab",
    logger: silentLogger,
    clock: noSleep,
    rand: () => 0.5,
    retries: 2,
    timeoutMs: 5000,
    ...extra,
  });
}

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
        mac: `52:54:00:00:01:${vmid.toString(16).padStart(2, "0")}`,
        addresses: [
          { ip, family: 4, prefix: 24, source: "agent" },
          { ip: `2001:db8::${vmid.toString(16)}`, family: 6, prefix: 64, source: "agent" },
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

async function cycle(
  guests: Guest[],
  o: Partial<IpamPlanOptions> & { complete?: boolean; p?: NetboxProvider } = {},
) {
  const p = o.p ?? provider;
  const dnsNames = Object.fromEntries(guests.map((g) => [`10.0.0.${g.vmid}`, `${g.name}.lab.example.`]));
  const desired = deriveIpam(inv(guests, o.complete ?? true), { clusterName: "lab", dnsNames });
  const current = await p.read(signal, desired);
  const changes = planIpam(desired, current, {
    tag: "pipam",
    adopt: o.adopt ?? false,
    policy: o.policy ?? "sync",
  });
  const result = await p.apply(changes, signal);
  return { changes, result };
}

const vms = () => [...nb.store.maps.vm.values()];
const vmNamed = (n: string) => vms().find((v) => v.name === n);
const ipsOf = () => [...nb.store.maps.ip.values()].map((p) => p.address).sort();
const two = () => [guest(11, "web1", "10.0.0.11"), guest(12, "web2", "10.0.0.12")];

describe("NetBox provider through the strict double", () => {
  test("first sync creates cluster type, cluster, VMs, interfaces, MACs, IPs, primaries; then 0 writes", async () => {
    const { result } = await cycle(two());
    expect(result.failed).toEqual([]);
    expect(nb.rejected).toEqual([]);
    const web1 = vmNamed("web1");
    expect(web1?.status).toBe("active");
    expect(web1?.description).toBe("pipam:pve/11");
    const iface = [...nb.store.maps.iface.values()].find((i) => i.virtual_machine === web1?.id);
    const mac = nb.store.get("mac", iface?.primary_mac_address as number);
    expect(mac?.mac_address).toBe("52:54:00:00:01:0B");
    const ip4 = nb.store.get("ip", web1?.primary_ip4 as number);
    expect(ip4?.address).toBe("10.0.0.11/24");
    expect(ip4?.dns_name).toBe("web1.lab.example");
    expect(nb.store.get("ip", web1?.primary_ip6 as number)?.address).toBe("2001:db8::b/64");
    const cluster = nb.store.get("cluster", web1?.cluster as number);
    expect(cluster?.name).toBe("lab");
    expect(nb.store.get("clustertype", cluster?.type as number)?.slug).toBe("proxmox");

    const again = await cycle(two());
    expect(ipamChangeCount(again.changes)).toBe(0);
    expect(again.result.writes).toBe(0);
    expect(nb.rejected).toEqual([]);
  });

  test("rename keeps the VM (identity from the description); IP change replaces the IP and moves the primary", async () => {
    await cycle(two());
    const id = vmNamed("web1")?.id;
    await cycle([guest(11, "web1-renamed", "10.0.0.99"), guest(12, "web2", "10.0.0.12")]);
    expect(nb.rejected).toEqual([]);
    const v = vmNamed("web1-renamed");
    expect(v?.id).toBe(id as number);
    expect(vmNamed("web1")).toBeUndefined();
    expect(ipsOf()).toContain("10.0.0.99/24");
    expect(ipsOf()).not.toContain("10.0.0.11/24");
    expect(nb.store.get("ip", v?.primary_ip4 as number)?.address).toBe("10.0.0.99/24");
    expect(
      (await cycle([guest(11, "web1-renamed", "10.0.0.99"), guest(12, "web2", "10.0.0.12")])).result.writes,
    ).toBe(0);
  });

  test("guest stopped → offline (not deleted); guest removed → VM, interfaces, MACs, IPs gone", async () => {
    await cycle(two());
    await cycle([guest(11, "web1", "10.0.0.11", { status: "stopped" }), guest(12, "web2", "10.0.0.12")]);
    expect(vmNamed("web1")?.status).toBe("offline");
    const { result } = await cycle([guest(12, "web2", "10.0.0.12")]);
    expect(result.failed).toEqual([]);
    expect(vmNamed("web1")).toBeUndefined();
    expect(nb.store.maps.iface.size).toBe(1);
    expect(nb.store.maps.mac.size).toBe(1);
    expect(ipsOf()).toEqual(["10.0.0.12/24", "2001:db8::c/64"]);
    expect(nb.rejected).toEqual([]);
  });

  test("an IP moving to another guest is reassigned although it was the old VM's primary", async () => {
    await cycle(two());
    const ipId = [...nb.store.maps.ip.values()].find((p) => p.address === "10.0.0.11/24")?.id;
    const moved = [guest(11, "web1", "10.0.0.21"), guest(12, "web2", "10.0.0.12")];
    const nic = moved[1]?.nics[0];
    nic?.addresses.push({ ip: "10.0.0.11", family: 4, prefix: 24, source: "agent" });
    const { result } = await cycle(moved);
    expect(result.failed).toEqual([]);
    expect(nb.rejected).toEqual([]);
    const ip = nb.store.get("ip", ipId as number);
    const web2 = vmNamed("web2");
    expect(nb.store.get("iface", ip?.assigned_object_id as number)?.virtual_machine).toBe(web2?.id as number);
    expect(nb.store.get("ip", vmNamed("web1")?.primary_ip4 as number)?.address).toBe("10.0.0.21/24");
    expect((await cycle(moved)).result.writes).toBe(0);
  });

  test("MAC change replaces the MAC object and the primary; a removed NIC takes its IPs along", async () => {
    const g = guest(11, "web1", "10.0.0.11");
    g.nics.push({
      name: "eth1",
      mac: "52:54:00:aa:bb:cc",
      addresses: [{ ip: "192.168.5.11", family: 4, prefix: 24, source: "agent" }],
    });
    await cycle([g]);
    expect(nb.store.maps.iface.size).toBe(2);
    const changed = guest(11, "web1", "10.0.0.11");
    (changed.nics[0] as { mac: string }).mac = "52:54:00:de:ad:01";
    const { result } = await cycle([changed]);
    expect(result.failed).toEqual([]);
    expect(nb.rejected).toEqual([]);
    const ifaces = [...nb.store.maps.iface.values()];
    expect(ifaces.map((i) => i.name)).toEqual(["eth0"]);
    expect(nb.store.get("mac", ifaces[0]?.primary_mac_address as number)?.mac_address).toBe(
      "52:54:00:DE:AD:01",
    );
    expect([...nb.store.maps.mac.values()].map((m) => m.mac_address)).toEqual(["52:54:00:DE:AD:01"]);
    expect(ipsOf()).toEqual(["10.0.0.11/24", "2001:db8::b/64"]);
    expect((await cycle([changed])).result.writes).toBe(0);
  });

  test("a partial inventory never deletes", async () => {
    await cycle(two());
    const { result } = await cycle([guest(12, "web2", "10.0.0.12")], { complete: false });
    expect(result.writes).toBe(0);
    expect(vmNamed("web1")).toBeDefined();
  });

  test("foreign (untagged) VM and IP are reported and untouched; adopt takes them", async () => {
    await cycle([guest(12, "web2", "10.0.0.12")]);
    const lab = [...nb.store.maps.cluster.values()][0]?.id as number;
    const foreignVm = nb.seed("vm", {
      name: "web1",
      cluster: lab,
      status: "planned",
      description: "hand made",
    });
    const foreignIp = nb.seed("ip", { address: "10.0.0.11/16", description: "someone's" });
    const before = JSON.stringify([foreignVm, foreignIp]);
    const { changes } = await cycle(two());
    expect(changes.conflicts.map((c) => [c.kind, c.subject])).toEqual([["foreign", "web1"]]);
    expect(JSON.stringify([nb.store.get("vm", foreignVm.id), nb.store.get("ip", foreignIp.id)])).toBe(before);
    // another guest wanting the foreign IP: conflict on the IP
    const { changes: c2 } = await cycle([guest(12, "web2", "10.0.0.12"), guest(13, "web3", "10.0.0.11")]);
    expect(c2.conflicts.map((c) => [c.kind, c.subject])).toContainEqual(["foreign", "10.0.0.11"]);
    expect(nb.store.get("ip", foreignIp.id)?.tags).toEqual([]);
    expect(nb.rejected).toEqual([]);
    // adopt
    const { result } = await cycle(two(), { adopt: true });
    expect(result.failed).toEqual([]);
    const adopted = nb.store.get("vm", foreignVm.id);
    expect(adopted?.description).toBe("pipam:pve/11");
    expect(adopted?.tags).toEqual([nb.store.tagIdBySlug("pipam")]);
    expect(nb.store.get("ip", foreignIp.id)?.address).toBe("10.0.0.11/24");
    expect(nb.store.get("vm", foreignVm.id)?.primary_ip4).toBe(foreignIp.id);
    expect(nb.rejected).toEqual([]);
  });

  test.each<[Policy, boolean, boolean]>([
    ["sync", true, true],
    ["upsert-only", true, false],
    ["create-only", false, false],
  ])("policy %s: updates %p, deletes %p", async (policy, updates, deletes) => {
    await cycle(two());
    const next = [guest(11, "web1", "10.0.0.11", { status: "stopped" }), guest(13, "web3", "10.0.0.13")];
    const { result } = await cycle(next, { policy });
    expect(result.failed).toEqual([]);
    expect(vmNamed("web3")).toBeDefined();
    expect(vmNamed("web1")?.status).toBe(updates ? "offline" : "active");
    expect(vmNamed("web2") === undefined).toBe(deletes);
    expect(nb.rejected).toEqual([]);
  });

  test("NetBox down: the cycle fails transiently and writes nothing; back up: it syncs", async () => {
    await nb.down();
    let err: unknown;
    try {
      await cycle(two());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipamError);
    expect((err as PipamError).transient).toBe(true);
    await nb.up();
    const { result } = await cycle(two());
    expect(result.failed).toEqual([]);
    expect(vms().length).toBe(2);
  });

  test("NetBox going down in the middle of an apply: the next cycles converge", async () => {
    // 4 reads, then tag, cluster type, cluster, 3 VM chunks, 2 interface chunks; the 13th request
    // and its 2 retries fail: VMs exist without all their interfaces, MACs, IPs and primaries.
    const guests = Array.from({ length: 30 }, (_, i) => guest(50 + i, `m${50 + i}`, `10.0.0.${50 + i}`));
    const p = makeProvider(nb.token, { bulkSize: 10 });
    nb.failNext(3, 503, 12);
    const err = await cycle(guests, { p }).catch((e) => e);
    expect((err as PipamError).transient).toBe(true);
    expect(vms().length).toBe(30);
    expect(nb.store.maps.iface.size).toBe(20);
    expect(nb.store.maps.ip.size).toBe(0);
    const { result } = await cycle(guests, { p });
    expect(result.failed).toEqual([]);
    expect(vms().length).toBe(30);
    expect(nb.store.maps.ip.size).toBe(60);
    expect(vms().every((v) => v.primary_ip4 !== null && v.primary_ip6 !== null)).toBe(true);
    expect((await cycle(guests, { p })).result.writes).toBe(0);
    expect(nb.rejected).toEqual([]);
  });

  test("503s are retried with backoff", async () => {
    nb.failNext(2, 503);
    const { result } = await cycle(two());
    expect(result.failed).toEqual([]);
    expect(nb.injected.length).toBe(2);
    expect(vms().length).toBe(2);
  });

  test("a 400 on one object: the rest is applied, the error reported, its children skipped", async () => {
    nb.rejectWhen((path, item) =>
      path.endsWith("/virtual-machines/") && item.name === "bad"
        ? "Virtual machine name is not allowed."
        : undefined,
    );
    const p = makeProvider(nb.token, { bulkSize: 1000 });
    const guests = [
      ...Array.from({ length: 9 }, (_, i) => guest(20 + i, `vm${20 + i}`, `10.0.0.${20 + i}`)),
      guest(40, "bad", "10.0.0.40"),
    ];
    const { result } = await cycle(guests, { p });
    expect(
      vms()
        .map((v) => v.name)
        .sort(),
    ).toEqual(
      guests
        .filter((g) => g.name !== "bad")
        .map((g) => g.name)
        .sort(),
    );
    const bad = result.failed.filter((f) => f.item.vm === "pve/40");
    expect(bad[0]?.item.kind).toBe("vm");
    expect(bad[0]?.error).toContain("Virtual machine name is not allowed.");
    expect(bad.length).toBeGreaterThan(1); // its interface, MAC and IPs were skipped and named
    expect(result.failed.every((f) => f.item.vm === "pve/40")).toBe(true);
    expect(ipsOf()).not.toContain("10.0.0.40/24");
    expect(nb.rejected).toEqual([]);
  });

  test("a 400 on one IP: only that IP fails; the VM keeps its other IP as primary; retried next cycle", async () => {
    nb.rejectWhen((path, item) =>
      path.endsWith("/ip-addresses/") && item.address === "10.0.0.12/24" ? "Bad IP." : undefined,
    );
    const { result } = await cycle(two());
    expect(result.failed.map((f) => [f.item.kind, f.item.name])).toEqual([["ip", "10.0.0.12/24"]]);
    expect(result.failed[0]?.error).toContain("Bad IP.");
    const web2 = vmNamed("web2");
    expect(web2?.primary_ip4).toBeNull();
    expect(nb.store.get("ip", web2?.primary_ip6 as number)?.address).toBe("2001:db8::c/64");
    expect(ipsOf()).toEqual(["10.0.0.11/24", "2001:db8::b/64", "2001:db8::c/64"]);
    nb.rejectWhen(undefined);
    const again = await cycle(two());
    expect(again.result.failed).toEqual([]);
    expect(nb.store.get("ip", vmNamed("web2")?.primary_ip4 as number)?.address).toBe("10.0.0.12/24");
    expect(nb.rejected).toEqual([]);
  });

  test("an answer pipam cannot read is a bad_response error, not a crash", async () => {
    await cycle(two());
    const broken = Object.assign(
      async (url: string | URL | Request, init?: RequestInit) => {
        const res = await fetch(url, init);
        if (!String(url).includes("/interfaces/")) return res;
        const body = (await res.json()) as { results: Record<string, unknown>[] };
        body.results = body.results.map((r) => ({ ...r, virtual_machine: null }));
        return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
      },
      { preconnect: fetch.preconnect },
    );
    const e = await makeProvider(nb.token, { fetch: broken })
      .read(signal)
      .catch((x) => x);
    expect((e as PipamError).code).toBe("bad_response");
  });

  test("the plan is plain JSON (dry-run prints it)", async () => {
    const desired = deriveIpam(inv(two()), { clusterName: "lab" });
    const changes = planIpam(desired, await provider.read(signal, desired), {
      tag: "pipam",
      adopt: false,
      policy: "sync",
    });
    expect(JSON.parse(JSON.stringify(changes))).toEqual(changes);
    expect(changes.vms.create.length).toBe(2);
    expect(nb.counts.get("POST /api/virtualization/virtual-machines/")).toBeUndefined();
  });

  test("clean deletes everything tagged and nothing else", async () => {
    await cycle(two());
    const other = nb.seed("clustertype", { name: "other", slug: "other" });
    const foreign = nb.seed("ip", { address: "192.0.2.1/32" });
    const r = await provider.clean(signal);
    expect(r.failed).toEqual([]);
    expect(vms()).toEqual([]);
    expect([...nb.store.maps.ip.keys()]).toEqual([foreign.id]);
    expect([...nb.store.maps.clustertype.keys()]).toEqual([other.id]);
    expect(nb.store.maps.cluster.size).toBe(0);
    expect(nb.rejected).toEqual([]);
  });

  test("health: reachable, token, version; v2 Bearer token works; a wrong token is named", async () => {
    const ok = await provider.health(signal);
    expect(ok.every((c) => c.ok)).toBe(true);
    expect(ok.find((c) => c.name === "netbox version")?.detail).toBe("NetBox 4.2.6");
    expect(ok.find((c) => c.name === "netbox cluster lab")?.detail).toContain("created on the first sync");
    const v2 = await makeProvider(nb.v2Token).health(signal);
    expect(v2.every((c) => c.ok)).toBe(true);
    const bad = await makeProvider("f".repeat(40)).health(signal);
    expect(bad).toEqual([expect.objectContaining({ name: "netbox token", ok: false })]);
    expect(bad[0]?.detail).toContain("Invalid v1 token");
    nb.resetCounters();
    await nb.down();
    const down = await provider.health(signal);
    await nb.up();
    expect(down).toEqual([expect.objectContaining({ name: "netbox reachable", ok: false })]);
  });
});

describe("the double is strict", () => {
  const post = (path: string, body: unknown, token = nb.token) =>
    fetch(`${nb.url}${path}`, {
      method: "POST",
      headers: { Authorization: `Token ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  test("an invalid request is rejected and recorded", async () => {
    const res = await post("/api/virtualization/interfaces/", [
      { name: "eth0", mac_address: "52:54:00:00:00:01" },
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, string[]>[];
    expect(JSON.stringify(body)).toContain("virtual_machine");
    expect(JSON.stringify(body)).toContain("mac_address");
    expect(nb.rejected.length).toBe(1);
    expect(nb.rejected[0]?.path).toBe("/api/virtualization/interfaces/");
  });

  test("NetBox rules: unknown tag filter, unique VM name per cluster, primary IP not on the VM, cascade", async () => {
    const t = await fetch(`${nb.url}/api/ipam/ip-addresses/?tag=nope`, {
      headers: { Authorization: `Token ${nb.token}` },
    });
    expect(t.status).toBe(400);
    const ct = nb.seed("clustertype", { name: "x", slug: "x" });
    const cl = nb.seed("cluster", { name: "c", type: ct.id });
    const a = nb.seed("vm", { name: "A", cluster: cl.id });
    expect((await post("/api/virtualization/virtual-machines/", { name: "a", cluster: cl.id })).status).toBe(
      400,
    );
    const b = nb.seed("vm", { name: "B", cluster: cl.id });
    const ifB = nb.seed("iface", { name: "eth0", virtual_machine: b.id });
    const ip = nb.seed("ip", {
      address: "10.9.0.1/24",
      assigned_object_type: "virtualization.vminterface",
      assigned_object_id: ifB.id,
    });
    const patch = await fetch(`${nb.url}/api/virtualization/virtual-machines/`, {
      method: "PATCH",
      headers: { Authorization: `Token ${nb.token}`, "Content-Type": "application/json" },
      body: JSON.stringify([{ id: a.id, primary_ip4: ip.id }]),
    });
    expect(patch.status).toBe(400);
    expect(await patch.text()).toContain("is not assigned to this VM");
    nb.store.update("vm", b.id, { primary_ip4: ip.id });
    nb.store.remove("vm", b.id);
    expect(nb.store.get("iface", ifB.id)).toBeUndefined();
    expect(nb.store.get("ip", ip.id)).toBeUndefined();
    expect(nb.rejected.map((r) => r.status)).toEqual([400, 400, 400]);
  });
});
