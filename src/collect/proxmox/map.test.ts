import { describe, expect, test } from "bun:test";
import { fixture } from "./fixtures.ts";
import { canonicalIp, parseCidr, parsePrefix } from "./ip.ts";
import {
  agentEnabled,
  buildGuest,
  guestAddresses,
  mergeNics,
  parseAgentInterfaces,
  parseGuestConfig,
  parseLxcInterfaces,
  parseResources,
  splitTags,
} from "./map.ts";

const ips = (nics: { addresses: { ip: string }[] }[]) => nics.flatMap((n) => n.addresses.map((a) => a.ip));

describe("ip", () => {
  test("canonical forms", () => {
    expect(canonicalIp("FE80::BE24:11FF:FE89:6707%3")).toEqual({
      ip: "fe80::be24:11ff:fe89:6707",
      family: 6,
    });
    expect(canonicalIp("2001:db8:0:0:0:0:0:1")?.ip).toBe("2001:db8::1");
    expect(canonicalIp("::ffff:1.2.3.4")?.ip).toBe("::ffff:1.2.3.4");
    expect(canonicalIp("10.1.2.3")).toEqual({ ip: "10.1.2.3", family: 4 });
    for (const bad of ["010.1.2.3", "1.2.3", "", "%3", "hello", 42, null, "10.0.0.256"]) {
      expect(canonicalIp(bad)).toBeUndefined();
    }
  });
  test("prefix: int, string, -1, out of range", () => {
    expect(parsePrefix(24, 4)).toBe(24);
    expect(parsePrefix("24", 4)).toBe(24);
    expect(parsePrefix(-1, 6)).toBeUndefined();
    expect(parsePrefix(33, 4)).toBeUndefined();
    expect(parsePrefix(64, 6)).toBe(64);
    expect(parsePrefix("x", 4)).toBeUndefined();
    expect(parseCidr("192.168.3.95/22")).toEqual({ ip: "192.168.3.95", family: 4, prefix: 22 });
  });
});

describe("tags and agent", () => {
  test("split on ; , and spaces", () => {
    expect(splitTags("one, two, three")).toEqual(["one", "two", "three"]);
    expect(splitTags("tag1;tag2")).toEqual(["tag1", "tag2"]);
    expect(splitTags("go-proxmox+cloud-init")).toEqual(["go-proxmox+cloud-init"]);
    expect(splitTags(" a  b;;c ")).toEqual(["a", "b", "c"]);
    expect(splitTags(undefined)).toEqual([]);
  });
  test("agent forms", () => {
    for (const on of [1, "1", "1,fstrim_cloned_disks=1", "enabled=1", "1,type=virtio"])
      expect(agentEnabled(on)).toBe(true);
    for (const off of [0, "0", "enabled=0", "0,fstrim_cloned_disks=1", undefined])
      expect(agentEnabled(off)).toBe(false);
  });
});

describe("config fixtures", () => {
  test("qemu vm101: MAC from model key, agent with options, comma+space tags", async () => {
    const c = parseGuestConfig("qemu", await fixture("qemu-config__ansible-cg-inventory-test-vm101.json"));
    expect(c.name).toBe("test-qemu");
    expect(c.agent).toBe(true);
    expect(c.tags).toEqual(["one", "two", "three"]);
    expect(c.nics).toEqual([{ key: "net0", index: 0, mac: "ff:ff:ff:ff:ff:ff", addresses: [] }]);
  });
  test("qemu vm103: two NICs", async () => {
    const c = parseGuestConfig(
      "qemu",
      await fixture("qemu-config__ansible-cg-inventory-test-vm103-multinic.json"),
    );
    expect(c.nics.map((n) => n.key)).toEqual(["net0", "net1"]);
    expect(c.agent).toBe(true);
  });
  test("lxc ct100: static ip= from config", async () => {
    const c = parseGuestConfig("lxc", await fixture("lxc-config__ansible-cg-inventory-test-ct100.json"));
    expect(c.name).toBe("test-lxc");
    expect(c.agent).toBe(false);
    expect(c.nics[0]).toMatchObject({ guestName: "eth0", mac: "ff:ff:ff:ff:ff:ff" });
    expect(c.nics[0]?.addresses).toEqual([{ ip: "10.1.1.3", family: 4, prefix: 24, source: "config" }]);
  });
  test("lxc go-proxmox: ip=dhcp gives no address, memory as number, raw lxc key ignored", async () => {
    const c = parseGuestConfig("lxc", await fixture("lxc-config__go-proxmox-pve7x-mock.json"));
    expect(c.nics).toEqual([
      { key: "net0", index: 0, guestName: "eth0", mac: "5d:cf:bd:b2:c5:39", addresses: [] },
    ]);
    expect(c.tags).toEqual(["tag1", "tag2"]);
    expect(c.problems).toEqual([]);
  });
  test("cloud-init ipconfig and lxc ip6, bad values reported", () => {
    const q = parseGuestConfig("qemu", {
      memory: "4096",
      net0: "model=virtio,macaddr=BC:24:11:2E:C5:4A,bridge=vmbr0",
      ipconfig0: "ip=10.100.1.174/24,gw=10.100.1.1,ip6=2001:DB8::174/64",
      ipconfig1: "ip=dhcp,ip6=auto",
      net2: "e1000=not-a-mac,bridge=vmbr0",
    });
    expect(q.nics[0]?.mac).toBe("bc:24:11:2e:c5:4a");
    expect(ips(q.nics)).toEqual(["10.100.1.174", "2001:db8::174"]);
    expect(q.nics[0]?.addresses[0]?.source).toBe("cloud-init");
    expect(q.problems.join()).toContain("net2: not a MAC address");
    const l = parseGuestConfig("lxc", {
      net0: "name=eth0,hwaddr=AA:BB:CC:DD:EE:FF,ip=10.0.0.5/24,ip6=fd00::5/64",
    });
    expect(ips(l.nics)).toEqual(["10.0.0.5", "fd00::5"]);
    expect(parseGuestConfig("lxc", "nope").problems).toEqual(["config is not an object"]);
  });
});

describe("agent fixtures", () => {
  test("vm101 linux docker: loopback, ULA, docker0 all reported", async () => {
    const r = parseAgentInterfaces(
      await fixture("qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm101-linux-docker.json"),
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.nics.map((n) => n.name)).toEqual(["lo", "eth0", "docker0"]);
    expect(ips(r.nics)).toEqual([
      "127.0.0.1",
      "::1",
      "10.1.2.3",
      "fd8c:4687:e88d:1be3:5b70:7b88:c79c:293",
      "10.10.2.3",
    ]);
    expect(r.nics[1]).toMatchObject({ mac: "ff:ff:ff:ff:ff:ff" });
    expect(r.nics[1]?.addresses[1]).toEqual({
      ip: "fd8c:4687:e88d:1be3:5b70:7b88:c79c:293",
      family: 6,
      prefix: 64,
      source: "agent",
    });
  });
  test("vm102: agent error as HTTP 200 result.error", async () => {
    const r = parseAgentInterfaces(
      await fixture(
        "qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm102-unsupported-error.json",
      ),
    );
    expect(r).toEqual({
      ok: false,
      error: "guest agent error Unsupported: this feature or command is not currently supported",
    });
  });
  test("vm103 weave: interfaces without ip-addresses or MAC", async () => {
    const r = parseAgentInterfaces(
      await fixture("qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm103-multinic-weave.json"),
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.nics).toHaveLength(14);
    expect(r.nics.at(-1)).toEqual({ name: "nomacorip", addresses: [] });
    expect(ips(r.nics)).toEqual(["127.0.0.1", "172.16.0.143", "10.0.0.133", "172.17.0.1", "10.42.0.1"]);
  });
  test("windows: zone suffix, prefix -1, no MAC on loopback, localized names", () => {
    const r = parseAgentInterfaces({
      result: [
        {
          name: "Ethernet 2",
          "hardware-address": "BC:24:11:AA:BB:CC",
          "ip-addresses": [
            { "ip-address": "fe80::1c2d:3e4f:5a6b:7c8d%3", "ip-address-type": "ipv6", prefix: -1 },
            { "ip-address": "192.168.1.50", "ip-address-type": "ipv4", prefix: 24 },
          ],
        },
        {
          name: "Loopback Pseudo-Interface 1",
          "ip-addresses": [{ "ip-address": "::1", "ip-address-type": "ipv6", prefix: 128 }],
        },
        {
          name: "Verbindung Ä",
          "ip-addresses": [{ "ip-address": "garbage", "ip-address-type": "ipv4", prefix: 8 }],
        },
      ],
    });
    if (!r.ok) throw new Error(r.error);
    expect(r.nics[0]?.addresses[0]).toEqual({ ip: "fe80::1c2d:3e4f:5a6b:7c8d", family: 6, source: "agent" });
    expect(r.nics[0]?.mac).toBe("bc:24:11:aa:bb:cc");
    expect(r.nics[1]).toEqual({
      name: "Loopback Pseudo-Interface 1",
      addresses: [{ ip: "::1", family: 6, prefix: 128, source: "agent" }],
    });
    expect(r.problems.join()).toContain("agent interface Verbindung Ä: not an IP address");
    expect(parseAgentInterfaces("x")).toEqual({ ok: false, error: "guest agent reply is not an object" });
  });
});

describe("lxc interfaces", () => {
  test("old shape (PVE 8.1.4 capture)", async () => {
    const r = parseLxcInterfaces(await fixture("lxc-interfaces__go-proxmox-pve7x-mock.json"));
    if (!r.ok) throw new Error(r.error);
    expect(ips(r.nics)).toEqual(["127.0.0.1", "::1", "192.168.3.95", "fe80::be24:11ff:fe89:6707"]);
    expect(r.nics[1]).toMatchObject({ name: "eth0", mac: "bc:24:11:89:67:07" });
    expect(r.nics[1]?.addresses[0]).toEqual({
      ip: "192.168.3.95",
      family: 4,
      prefix: 22,
      source: "lxc-interfaces",
    });
  });
  test("new shape with string prefixes and inet/inet6 types; null when stopped", () => {
    const r = parseLxcInterfaces([
      {
        name: "eth0",
        hwaddr: "bc:24:11:00:00:01",
        "hardware-address": "BC:24:11:00:00:01",
        inet: "10.0.0.5/24",
        "ip-addresses": [
          { "ip-address": "10.0.0.5", "ip-address-type": "inet", prefix: "24" },
          { "ip-address": "10.0.0.6", "ip-address-type": "inet", prefix: "24" },
          { "ip-address": "2001:db8::5", "ip-address-type": "inet6", prefix: "64" },
        ],
      },
    ]);
    if (!r.ok) throw new Error(r.error);
    expect(r.nics[0]?.addresses.map((a) => `${a.ip}/${a.prefix}`)).toEqual([
      "10.0.0.5/24",
      "10.0.0.6/24",
      "2001:db8::5/64",
    ]);
    expect(parseLxcInterfaces(null)).toEqual({ ok: true, nics: [], problems: [] });
    expect(parseLxcInterfaces({})).toEqual({ ok: false, error: "LXC interfaces reply is not a list" });
  });
});

describe("resources", () => {
  test("ansible list: empty name, pool, lxc + qemu", async () => {
    const r = parseResources(
      await fixture("cluster-resources-type-vm__ansible-community-proxmox-vm-info-test.json"),
    );
    if ("error" in r) throw new Error(r.error);
    expect(r.entries.map((e) => `${e.type}/${e.vmid}@${e.node}:${e.status}`)).toEqual([
      "qemu/100@pve:running",
      "qemu/101@pve2:stopped",
      "lxc/102@pve:running",
      "lxc/103@pve2:stopped",
      "lxc/104@pve2:stopped",
      "lxc/105@pve2:stopped",
    ]);
    expect(r.entries[5]?.name).toBe("");
  });
  test("go-proxmox unfiltered list: nodes/storage ignored, template, tags with +", async () => {
    const r = parseResources(await fixture("cluster-resources__go-proxmox-mock.json"));
    if ("error" in r) throw new Error(r.error);
    expect(r.entries.map((e) => e.vmid)).toEqual([100, 101, 102, 200]);
    expect(r.entries[1]?.template).toBe(true);
    expect(r.entries[2]?.tags).toEqual(["go-proxmox+cloud-init"]);
    expect(r.entries[3]?.name).toBe("VM 200");
  });
  test("status unknown without name, vmid as string, bad entries", () => {
    const r = parseResources([
      { id: "qemu/300", vmid: 300, node: "pve3", type: "qemu", status: "unknown" },
      { id: "lxc/106", vmid: "106", node: "pve", type: "lxc", status: "running", name: "ct", uptime: 5 },
      { id: "qemu/x", vmid: "x", node: "pve", type: "qemu" },
      7,
    ]);
    if ("error" in r) throw new Error(r.error);
    expect(r.entries[0]).toEqual({
      vmid: 300,
      type: "qemu",
      node: "pve3",
      status: "unknown",
      template: false,
      tags: [],
    });
    expect(r.entries[1]?.vmid).toBe(106);
    expect(r.problems).toHaveLength(2);
    expect(parseResources({ data: 1 })).toEqual({ error: "guest list (/cluster/resources) is not a list" });
  });
});

describe("merge and build", () => {
  test("live NICs win; config fills empty live NIC and adds unmatched ones", () => {
    const config = parseGuestConfig("qemu", {
      net0: "virtio=BC:24:11:00:00:01,bridge=vmbr0",
      net1: "virtio=BC:24:11:00:00:02,bridge=vmbr1",
      net2: "virtio=BC:24:11:00:00:03,bridge=vmbr1",
      ipconfig1: "ip=10.9.0.2/24",
      ipconfig2: "ip=10.9.0.3/24",
    }).nics;
    const live = [
      { name: "lo", addresses: [{ ip: "127.0.0.1", family: 4 as const, source: "agent" as const }] },
      {
        name: "ens18",
        mac: "bc:24:11:00:00:01",
        addresses: [{ ip: "10.0.0.1", family: 4 as const, source: "agent" as const }],
      },
      { name: "ens19", mac: "bc:24:11:00:00:02", addresses: [] },
    ];
    const merged = mergeNics(config, live);
    expect(merged.map((n) => `${n.name}:${ips([n]).join("|")}`)).toEqual([
      "lo:127.0.0.1",
      "ens18:10.0.0.1",
      "ens19:10.9.0.2",
      "net2:10.9.0.3",
    ]);
    expect(mergeNics(config, undefined).map((n) => n.name)).toEqual(["net0", "net1", "net2"]);
  });
  test("buildGuest uses config name for unknown status entries", () => {
    const g = buildGuest(
      "pve",
      { vmid: 5, type: "qemu", node: "n", status: "unknown", template: false, tags: [] },
      {
        nics: [],
        name: "from-config",
        tags: ["a"],
        error: "x",
      },
    );
    expect(g).toMatchObject({ name: "from-config", tags: ["a"], error: "x", status: "unknown" });
    expect(guestAddresses(g)).toEqual([]);
  });
});
