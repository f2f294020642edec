import { expect, test } from "bun:test";
import { deriveIpam } from "./ipam-derive.ts";
import { planIpam } from "./ipam-plan.ts";
import { ipamObjectStates } from "./ipam-status.ts";
import type { IpamCurrent } from "./ipam-types.ts";
import type { Guest } from "./model.ts";

const g = (vmid: number, name: string, ip: string): Guest => ({
  cluster: "pve",
  node: "n",
  vmid,
  type: "qemu",
  name,
  status: "running",
  template: false,
  tags: [],
  nics: [{ name: "eth0", addresses: [{ ip, family: 4, prefix: 24, source: "agent" }] }],
});

test("states: pending, failed, conflict (VM name, foreign VM, duplicate IP)", () => {
  const guests = [
    g(1, "a", "10.0.0.1"),
    g(2, "b", "10.0.0.2"),
    g(3, "A", "10.0.0.3"),
    g(4, "d", "10.0.0.1"),
    g(5, "e", "10.0.0.5"),
  ];
  const desired = deriveIpam({ collectedAt: 0, guests, complete: true, errors: [] });
  const current: IpamCurrent = {
    tagExists: true,
    clusterTypeId: 1,
    clusterIds: { pve: 1 },
    vms: [{ name: "e", cluster: "pve", id: 9, tagged: false }],
    interfaces: [],
    macs: [],
    ips: [],
  };
  const changes = planIpam(desired, current, { tag: "pipam", adopt: false, policy: "sync" });
  const failed = [
    { item: { kind: "ip" as const, name: "10.0.0.2/24", vm: "pve/2" as const }, error: "Bad IP." },
  ];
  const s = ipamObjectStates(desired, changes, failed);
  expect(s.get("pve/1")).toEqual([
    { object: "virtual-machine a", state: "pending" },
    { object: "ip-address 10.0.0.1/24", state: "pending" },
  ]);
  expect(s.get("pve/2")?.[1]).toEqual({
    object: "ip-address 10.0.0.2/24",
    state: "failed",
    error: "Bad IP.",
  });
  expect(s.get("pve/3")?.map((x) => [x.object, x.state])).toEqual([["virtual-machine A", "conflict"]]);
  expect(s.get("pve/4")?.map((x) => [x.object, x.state])).toEqual([
    ["virtual-machine d", "pending"],
    ["ip-address 10.0.0.1", "conflict"],
  ]);
  expect(s.get("pve/5")?.map((x) => [x.object, x.state])).toEqual([
    ["virtual-machine e", "conflict"],
    ["ip-address 10.0.0.5/24", "conflict"],
  ]);
});
