/**
 * Every real Proxmox response in ../shared/fixtures/proxmox/ goes through the simulator over
 * real HTTPS and is read back by the client (and, where the collector uses it, collected).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { silentLogger } from "../../log/logger.ts";
import { type ProxmoxSim, startProxmoxSim } from "../../sim/index.ts";
import type { Guest, Inventory } from "../../state/model.ts";
import { createProxmoxClient, type ProxmoxEndpoint } from "./client.ts";
import { createProxmoxSource } from "./collector.ts";
import { FIXTURE_DIR, fixture } from "./fixtures.ts";
import { checkProxmox } from "./health.ts";

let sim: ProxmoxSim;
const signal = new AbortController().signal;
const ep = (): ProxmoxEndpoint => ({
  name: "fx",
  url: sim.url,
  tokenId: sim.tokenId,
  secret: sim.secret,
  insecure: false,
  fingerprint: sim.fingerprint,
  timeoutMs: 3000,
  concurrencyPerNode: 2,
});
const ips = (g: Guest | undefined) => (g?.nics ?? []).flatMap((n) => n.addresses.map((a) => a.ip));
const byId = (inv: Inventory, vmid: number) => inv.guests.find((g) => g.vmid === vmid);

beforeAll(async () => {
  sim = await startProxmoxSim({ nodes: [{ name: "pve" }, { name: "pve2" }], guests: [] });
});
afterAll(async () => {
  await sim.stop();
});

describe("every fixture, served verbatim over HTTPS", () => {
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".json"));
  test("there are fixtures", () => {
    expect(files.length).toBeGreaterThan(20);
  });
  for (const file of files) {
    test(file, async () => {
      const text = await Bun.file(resolve(FIXTURE_DIR, file)).text();
      const data = await fixture(file);
      const enveloped = !text.trimStart().startsWith("[") && /^\s*\{\s*"data"/.test(text);
      const errorStatus = /^error-(\d{3})-/.exec(file)?.[1];
      const body = enveloped || errorStatus ? text : JSON.stringify({ data });
      sim.mutate((s) => {
        s.faults = [
          {
            path: "/fixture",
            status: errorStatus ? Number(errorStatus) : 200,
            reason: "fixture reason",
            body,
          },
        ];
      });
      const got = createProxmoxClient(ep()).get("/fixture", signal);
      if (errorStatus) {
        const e = await got.catch((err: Error) => err);
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toContain(`HTTP ${errorStatus}`);
        // 400 carries per-parameter errors; a bare {"data":null} falls back to the reason phrase.
        expect((e as Error).message).toContain(
          errorStatus === "400" ? "VM 200 already exists" : "fixture reason",
        );
      } else {
        expect(await got).toEqual(data);
      }
    });
  }
});

describe("collected from fixtures", () => {
  test("guest agent, LXC interfaces and configs → expected IPs", async () => {
    sim.setScenario({
      nodes: [{ name: "pve" }],
      guests: [
        {
          vmid: 101,
          type: "qemu",
          node: "pve",
          name: "test-qemu",
          status: "running",
          nics: [],
          uptime: 100,
          raw: {
            config: await fixture("qemu-config__ansible-cg-inventory-test-vm101.json"),
            agent: await fixture(
              "qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm101-linux-docker.json",
            ),
          },
        },
        {
          vmid: 102,
          type: "qemu",
          node: "pve",
          name: "test-qemu-windows",
          status: "running",
          nics: [],
          uptime: 100,
          raw: {
            config: await fixture("qemu-config__ansible-cg-inventory-test-vm102-windows.json"),
            agent: await fixture(
              "qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm102-unsupported-error.json",
            ),
          },
        },
        {
          vmid: 103,
          type: "qemu",
          node: "pve",
          name: "test-qemu-multi-nic",
          status: "running",
          nics: [],
          uptime: 100,
          raw: {
            config: await fixture("qemu-config__ansible-cg-inventory-test-vm103-multinic.json"),
            agent: await fixture(
              "qemu-agent-network-get-interfaces__ansible-cg-inventory-test-vm103-multinic-weave.json",
            ),
          },
        },
        {
          vmid: 100,
          type: "lxc",
          node: "pve",
          name: "test-lxc",
          status: "running",
          nics: [],
          uptime: 100,
          raw: {
            config: await fixture("lxc-config__ansible-cg-inventory-test-ct100.json"),
            interfaces: await fixture("lxc-interfaces__go-proxmox-pve7x-mock.json"),
          },
        },
        {
          vmid: 104,
          type: "lxc",
          node: "pve",
          name: "test-container",
          status: "stopped",
          nics: [],
          tags: "tag1;tag2",
          raw: { config: await fixture("lxc-config__go-proxmox-pve7x-mock.json") },
        },
        {
          vmid: 105,
          type: "qemu",
          node: "pve",
          name: "win",
          status: "running",
          agent: "windows",
          uptime: 100,
          nics: [
            {
              name: "Ethernet 2",
              mac: "BC:24:11:AB:CD:EF",
              ipv4: ["192.168.1.50/24"],
              ipv6: ["2001:db8::50/64"],
            },
          ],
        },
      ],
    });
    const inv = await createProxmoxSource([ep()], { logger: silentLogger }).collect(signal);
    expect(inv.complete).toBe(true);
    expect(ips(byId(inv, 101))).toEqual([
      "127.0.0.1",
      "::1",
      "10.1.2.3",
      "fd8c:4687:e88d:1be3:5b70:7b88:c79c:293",
      "10.10.2.3",
    ]);
    expect(byId(inv, 101)?.tags).toEqual([]);
    expect(byId(inv, 102)?.error).toContain(
      "guest agent error Unsupported: this feature or command is not currently supported",
    );
    expect(byId(inv, 102)?.nics).toEqual([{ name: "net0", mac: "ff:ff:ff:ff:ff:ff", addresses: [] }]);
    expect(ips(byId(inv, 103))).toEqual([
      "127.0.0.1",
      "172.16.0.143",
      "10.0.0.133",
      "172.17.0.1",
      "10.42.0.1",
    ]);
    // Old LXC shape: live eth0 (its MAC differs from the anonymised config MAC) plus the static config NIC.
    expect(ips(byId(inv, 100))).toEqual([
      "127.0.0.1",
      "::1",
      "192.168.3.95",
      "fe80::be24:11ff:fe89:6707",
      "10.1.1.3",
    ]);
    expect(byId(inv, 100)?.nics.at(-1)?.addresses[0]?.source).toBe("config");
    expect(byId(inv, 104)).toMatchObject({
      status: "stopped",
      tags: ["tag1", "tag2"],
      nics: [{ name: "eth0", mac: "5d:cf:bd:b2:c5:39", addresses: [] }],
    });
    // Windows: zone suffix stripped, prefix -1 dropped, loopback without MAC.
    const win = byId(inv, 105)!;
    expect(ips(win)).toEqual([
      "::1",
      "127.0.0.1",
      "192.168.1.50",
      "2001:db8::50",
      "fe80::be24:11ff:feab:cdef",
    ]);
    expect(win.nics[1]?.addresses.find((a) => a.ip.startsWith("fe80"))?.prefix).toBeUndefined();
    expect(win.nics[0]?.mac).toBeUndefined();
  });

  test("guest list fixtures: unknown status, empty names, templates, nodes/storage ignored", async () => {
    sim.setScenario({ nodes: [{ name: "pve" }, { name: "pve2" }], guests: [] });
    for (const [file, expected] of [
      [
        "cluster-resources-type-vm__ansible-community-proxmox-vm-info-test.json",
        [100, 101, 102, 103, 104, 105],
      ],
      ["cluster-resources__go-proxmox-mock.json", [100, 101, 102, 200]],
    ] as const) {
      const data = await fixture(file);
      sim.mutate((s) => {
        s.faults = [{ path: "/cluster/resources", status: 200, body: JSON.stringify({ data }) }];
      });
      const inv = await createProxmoxSource([ep()], { logger: silentLogger }).collect(signal);
      expect(inv.complete).toBe(true);
      expect(inv.guests.map((g) => g.vmid)).toEqual([...expected]);
      // The simulator knows none of these guests: each gets a clear per-guest error, none vanish.
      for (const g of inv.guests) expect(g.error).toContain(`/${g.vmid}/config: HTTP 500`);
    }
    const data = (await fixture("cluster-resources__go-proxmox-mock.json")) as unknown[];
    data.push({ id: "qemu/300", vmid: 300, node: "pve3", type: "qemu", status: "unknown" });
    sim.mutate((s) => {
      s.faults = [{ path: "/cluster/resources", status: 200, body: JSON.stringify({ data }) }];
    });
    const inv = await createProxmoxSource([ep()], { logger: silentLogger }).collect(signal);
    expect(byId(inv, 101)?.template).toBe(true);
    expect(byId(inv, 102)?.tags).toEqual(["go-proxmox+cloud-init"]);
    expect(byId(inv, 300)).toMatchObject({ name: "", status: "unknown" });
    expect(byId(inv, 300)?.error).toContain("not reporting");
  });

  test("version fixtures through `health`", async () => {
    for (const [file, want] of [
      ["version__bpg-terraform-provider-test-pve9.0.json", "Proxmox VE 9.0.4"],
      ["version__proxmoxer-tests-pve7.2.json", "Proxmox VE 7.2-3"],
    ] as const) {
      sim.setScenario({ nodes: [{ name: "pve" }], guests: [], version: (await fixture(file)) as never });
      const checks = await checkProxmox(ep(), signal);
      expect(checks.find((c) => c.name === "proxmox[fx] version")?.detail).toContain(want);
    }
  });
});
