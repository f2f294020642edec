import { describe, expect, test } from "bun:test";
import type { Inventory } from "../state/model.ts";
import { addressScope, formatTable, OUTPUT_SCHEMA, toOutputDocument } from "./output-format.ts";
import { outputValidator } from "./test-output-validator.ts";

const inv: Inventory = {
  collectedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  complete: false,
  errors: [
    { cluster: "b", message: "list failed: 500" },
    { cluster: "a", node: "pve1", vmid: 101, message: "agent timeout" },
  ],
  guests: [
    {
      cluster: "a",
      node: "pve1",
      vmid: 101,
      type: "qemu",
      name: "web",
      status: "running",
      template: false,
      tags: ["prod"],
      error: "agent timeout",
      nics: [
        {
          name: "net0",
          mac: "aa:bb:cc:dd:ee:ff",
          addresses: [{ ip: "10.0.0.5", family: 4, prefix: 24, source: "config" }],
        },
      ],
    },
    {
      cluster: "a",
      node: "pve2",
      vmid: 100,
      type: "lxc",
      name: "db",
      status: "running",
      template: false,
      tags: [],
      nics: [
        {
          name: "eth0",
          addresses: [
            { ip: "10.0.0.6", family: 4, prefix: 24, source: "lxc-interfaces" },
            { ip: "2001:db8::6", family: 6, source: "lxc-interfaces" },
          ],
        },
      ],
    },
  ],
};

describe("pipam.output/v1", () => {
  const doc = toOutputDocument(inv, ["a", "b"]);
  test("matches docs/output-schema.json, which rejects a broken document", async () => {
    const validate = await outputValidator();
    expect(validate(JSON.parse(JSON.stringify(doc)))).toBe(true);
    const broken = JSON.parse(JSON.stringify(doc));
    delete broken.guests[0].error;
    broken.guests[1].addresses[0].source = "guess";
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.length).toBe(2);
  });
  test("schema header, sorted guests, explicit nulls, flattened addresses", () => {
    expect(doc.schema).toBe(OUTPUT_SCHEMA);
    expect(doc.collectedAt).toBe("2026-01-02T03:04:05.000Z");
    expect(doc.complete).toBe(false);
    expect(doc.guests.map((g) => g.vmid)).toEqual([100, 101]);
    expect(doc.guests[0]?.error).toBeNull();
    expect(doc.guests[0]?.nics[0]?.mac).toBeNull();
    expect(doc.guests[0]?.addresses).toEqual([
      { ip: "10.0.0.6", family: 4, prefix: 24, source: "lxc-interfaces", scope: "global", nic: "eth0" },
      { ip: "2001:db8::6", family: 6, prefix: null, source: "lxc-interfaces", scope: "global", nic: "eth0" },
    ]);
    expect(doc.errors[0]).toEqual({ cluster: "b", node: null, vmid: null, message: "list failed: 500" });
  });
  test("address scope: loopback = host, link-local = link, the rest global", () => {
    expect(
      ["127.0.0.1", "::1", "169.254.1.2", "fe80::1", "10.0.0.1", "2001:db8::1", "fd00::1"].map(addressScope),
    ).toEqual(["host", "host", "link", "link", "global", "global", "global"]);
  });
  test("the table has every column and the summary", () => {
    const t = formatTable(doc);
    const lines = t.split("\n");
    expect(lines[0]).toMatch(/^CLUSTER\s+NODE\s+VMID\s+TYPE\s+NAME\s+STATUS\s+IPS\s+FROM\s+ERROR$/);
    expect(lines[1]).toMatch(
      /^a\s+pve2\s+100\s+lxc\s+db\s+running\s+10\.0\.0\.6\/24,2001:db8::6\s+lxc-interfaces$/,
    );
    expect(lines[2]).toMatch(
      /^a\s+pve1\s+101\s+qemu\s+web\s+running\s+10\.0\.0\.5\/24\s+config\s+agent timeout$/,
    );
    expect(t).toContain("2 guests, 2 with addresses, 1 with errors");
    expect(t).toContain("error: b: list failed: 500");
    expect(t).toContain("incomplete");
  });
  test("control characters and long names cannot break the table", () => {
    const g = inv.guests[1];
    if (!g) throw new Error("fixture");
    const evil = { ...inv, guests: [{ ...g, name: `x\ny\u0007${"n".repeat(300)}` }] };
    const t = formatTable(toOutputDocument(evil, ["a"]));
    const row = t.split("\n")[1] ?? "";
    expect(row).toContain("x y?");
    expect(row).toContain("…");
    expect(t.split("\n\n")[0]?.split("\n")).toHaveLength(2);
  });
});
