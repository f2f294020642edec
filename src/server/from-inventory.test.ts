import { expect, test } from "bun:test";
import type { Inventory, RRset } from "../state/model.ts";
import { guestViewsFromInventory } from "./from-inventory.ts";

const inv: Inventory = {
  collectedAt: 1,
  complete: true,
  errors: [],
  guests: [
    {
      cluster: "pve",
      node: "n1",
      vmid: 101,
      type: "qemu",
      name: "web1",
      status: "running",
      template: false,
      tags: [],
      nics: [
        {
          name: "eth0",
          addresses: [
            { ip: "10.0.0.5", family: 4, source: "agent" },
            { ip: "fd00::5", family: 6, source: "agent" },
          ],
        },
      ],
    },
    {
      cluster: "pve",
      node: "n2",
      vmid: 102,
      type: "lxc",
      name: "ct",
      status: "unknown",
      template: false,
      tags: [],
      nics: [],
      error: "lxc/102/interfaces: timeout",
    },
  ],
};

test("guestViewsFromInventory maps guests, IPs and the rrsets derived from each guest", () => {
  const desired: RRset[] = [
    {
      zone: "example.com.",
      name: "web1.example.com.",
      type: "A",
      ttl: 300,
      records: ["10.0.0.5"],
      guests: ["pve/101"],
    },
    {
      zone: "example.com.",
      name: "web1.example.com.",
      type: "AAAA",
      ttl: 300,
      records: ["fd00::5"],
      guests: ["pve/101"],
    },
  ];
  const views = guestViewsFromInventory(inv, desired, {
    dns: (rr) => (rr.type === "A" ? { state: "in-sync", provider: "powerdns" } : undefined),
  });
  expect(views).toHaveLength(2);
  const [web, ct] = views;
  expect(web!.key).toBe("pve/101");
  expect(web!.ips).toEqual([
    { ip: "10.0.0.5", source: "agent" },
    { ip: "fd00::5", source: "agent" },
  ]);
  expect(web!.dns.map((d) => `${d.type} ${d.state}`)).toEqual(["A in-sync", "AAAA pending"]);
  expect(ct!.dns).toEqual([]);
  expect(ct!.error).toBe("lxc/102/interfaces: timeout");
});
