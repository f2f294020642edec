/** Guests for the cluster tests: qemu VMs with one IPv4 each in 10.0.0.0/8. */
import type { Scenario, SimGuest } from "../../../src/sim/index.ts";

export function vm(vmid: number, name: string, ip4: string): SimGuest {
  return {
    vmid,
    type: "qemu",
    node: "pve1",
    name,
    status: "running",
    uptime: 1000,
    agent: "ok",
    nics: [
      {
        name: "ens18",
        mac: `BC:24:11:00:${(vmid >> 8).toString(16).padStart(2, "0")}:${(vmid % 256).toString(16).padStart(2, "0")}`,
        ipv4: [ip4],
      },
    ],
  };
}

/** `count` guests g1…gN at 10.0.1.1…; vmids 101…. */
export function clusterScenario(count = 5): Scenario {
  return {
    nodes: [{ name: "pve1", online: true }],
    guests: Array.from({ length: count }, (_, i) => vm(101 + i, `g${i + 1}`, `10.0.1.${i + 1}/24`)),
  };
}

export const ZONE = "cl.test.";
export const NETWORKS = ["10.0.0.0/8"];
