import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type DeriveResult, type DnsRules, deriveDns } from "./derive-dns.ts";
import type { Guest, GuestNic, Inventory } from "./model.ts";
import { shuffle } from "./testdata/shuffle.ts";

const dir = join(import.meta.dir, "testdata");

function golden(name: string, actual: unknown): Promise<void> | void {
  const file = Bun.file(join(dir, name));
  const text = `${JSON.stringify(actual, null, 1)}\n`;
  if (process.env.UPDATE === "1") return Bun.write(file, text).then(() => undefined);
  return file.text().then(
    (want) => expect(text).toBe(want),
    () => {
      throw new Error(`missing golden file ${name}: run UPDATE=1 bun test src/state/derive-dns.test.ts`);
    },
  );
}

interface Fixture {
  rules: DnsRules;
  inventory: Inventory;
}

describe("deriveDns golden files (testdata/derive-*.input.json → .golden.json; UPDATE=1 rewrites)", () => {
  const inputs = readdirSync(dir).filter((f) => f.startsWith("derive-") && f.endsWith(".input.json"));
  test("there are golden inputs", () => expect(inputs.length).toBeGreaterThanOrEqual(2));
  for (const f of inputs) {
    test(f, async () => {
      const fx = (await Bun.file(join(dir, f)).json()) as Fixture;
      const out = deriveDns(fx.inventory, fx.rules);
      await golden(f.replace(".input.json", ".golden.json"), out);
      // the same inventory in any order (guests, nics, addresses) derives the same result
      for (let seed = 1; seed <= 20; seed++) {
        const guests = shuffle(fx.inventory.guests, seed).map((g, i) => ({
          ...g,
          nics: shuffle(g.nics, seed + i).map((n) => ({
            ...n,
            addresses: shuffle(n.addresses, seed * 7 + i),
          })),
        }));
        expect(deriveDns({ ...fx.inventory, guests }, fx.rules)).toEqual(out);
      }
    });
  }
});

// ---- focused cases --------------------------------------------------------------------------

const baseRules: DnsRules = {
  zones: [{ zone: "example.com.", networks: ["10.0.0.0/16"] }],
  skipCidrs: [],
  ttl: 300,
  ptr: false,
  reverseZones: [],
  ignoreInterfaces: ["lo", "docker*", "veth*"],
  tags: { ignore: "pipam-ignore" },
};

function nic(name: string, ...ips: string[]): GuestNic {
  return { name, addresses: ips.map((ip) => ({ ip, family: ip.includes(":") ? 6 : 4, source: "agent" })) };
}
function guest(vmid: number, name: string, nics: GuestNic[], o: Partial<Guest> = {}): Guest {
  return {
    cluster: "pve",
    node: "n1",
    vmid,
    type: "qemu",
    name,
    status: "running",
    template: false,
    tags: [],
    nics,
    ...o,
  };
}
function derive(guests: Guest[], rules: Partial<DnsRules> = {}, complete = true): DeriveResult {
  return deriveDns({ collectedAt: 0, complete, errors: [], guests }, { ...baseRules, ...rules });
}
const lines = (r: DeriveResult) => r.rrsets.map((x) => `${x.name} ${x.type} ${x.records.join(",")}`);

describe("deriveDns", () => {
  test('original example config: [mapping."example.com"] networks=[{cidr="10.0.0.0/16"}]', () => {
    const r = derive([
      guest(100, "web1", [nic("eth0", "10.0.0.10", "2001:db8::10")]),
      guest(101, "db1", [nic("eth0", "10.0.1.11"), nic("eth1", "10.1.0.11")]),
    ]);
    expect(r.rrsets).toEqual([
      {
        zone: "example.com.",
        name: "db1.example.com.",
        type: "A",
        ttl: 300,
        records: ["10.0.1.11"],
        guests: ["pve/101"],
      },
      {
        zone: "example.com.",
        name: "web1.example.com.",
        type: "A",
        ttl: 300,
        records: ["10.0.0.10"],
        guests: ["pve/100"],
      },
    ]);
    expect(r.skipped.map((s) => `${s.guest} ${s.ip} ${s.reason}`)).toEqual([
      "pve/100 2001:db8::10 no [mapping] network contains it",
      "pve/101 10.1.0.11 no [mapping] network contains it",
    ]);
  });

  test("several addresses of one family → one rrset with several records; TTL from the rules", () => {
    const r = derive(
      [guest(1, "multi", [nic("eth0", "10.0.0.2", "10.0.0.1"), nic("eth1", "10.0.0.3", "10.0.0.1")])],
      {
        ttl: 60,
      },
    );
    expect(r.rrsets).toEqual([
      {
        zone: "example.com.",
        name: "multi.example.com.",
        type: "A",
        ttl: 60,
        records: ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        guests: ["pve/1"],
      },
    ]);
  });

  test("AAAA content is canonical (RFC 5952)", () => {
    const r = derive([guest(1, "v6", [nic("eth0", "2001:0DB8:0000:0000::0001")])], {
      zones: [{ zone: "example.com.", networks: ["2001:db8::/32"] }],
    });
    expect(lines(r)).toEqual(["v6.example.com. AAAA 2001:db8::1"]);
  });

  test("loopback, link-local, multicast, unspecified never make records", () => {
    const r = derive(
      [
        guest(1, "g", [
          nic("eth0", "127.0.0.1", "::1", "fe80::1", "169.254.1.1", "224.0.0.1", "ff02::1", "0.0.0.0", "::"),
        ]),
      ],
      { zones: [{ zone: "example.com.", networks: ["0.0.0.0/0", "::/0"] }] },
    );
    expect(r.rrsets).toEqual([]);
    expect(r.skipped.map((s) => s.reason).sort()).toEqual([
      "link-local address",
      "link-local address",
      "loopback address",
      "loopback address",
      "multicast address",
      "multicast address",
      "unspecified address",
      "unspecified address",
    ]);
  });

  test("skip_cidrs and ignored interfaces", () => {
    const r = derive(
      [
        guest(1, "g", [
          nic("eth0", "10.0.0.1", "10.0.99.1"),
          nic("docker0", "10.0.50.1"),
          nic("vethab12", "10.0.51.1"),
        ]),
      ],
      { skipCidrs: ["10.0.99.0/24"] },
    );
    expect(lines(r)).toEqual(["g.example.com. A 10.0.0.1"]);
    expect(r.skipped.map((s) => `${s.ip} ${s.reason}`)).toEqual([
      "10.0.50.1 interface docker0 is ignored",
      "10.0.51.1 interface vethab12 is ignored",
      "10.0.99.1 in skip_cidrs 10.0.99.0/24",
    ]);
  });

  test("an address on an ignored and on a counted interface counts, whatever the order", () => {
    const a = derive([guest(1, "g", [nic("veth0", "10.0.0.1"), nic("eth0", "10.0.0.1")])]);
    const b = derive([guest(1, "g", [nic("eth0", "10.0.0.1"), nic("veth0", "10.0.0.1")])]);
    expect(lines(a)).toEqual(["g.example.com. A 10.0.0.1"]);
    expect(b).toEqual(a);
  });

  test("most specific mapping wins across zones", () => {
    const r = derive([guest(1, "g", [nic("eth0", "10.0.0.1", "10.0.7.1", "10.0.7.129")])], {
      zones: [
        { zone: "example.com.", networks: ["10.0.0.0/16"] },
        { zone: "lab.example.com.", networks: ["10.0.7.0/24"] },
        { zone: "a.example.com.", networks: ["10.0.7.128/25"] },
      ],
    });
    expect(lines(r)).toEqual([
      "g.a.example.com. A 10.0.7.129",
      "g.example.com. A 10.0.0.1",
      "g.lab.example.com. A 10.0.7.1",
    ]);
  });

  test("templates, opt-out tag (any case), opt-in tag", () => {
    const gs = [
      guest(1, "tmpl", [nic("eth0", "10.0.0.1")], { template: true }),
      guest(2, "out", [nic("eth0", "10.0.0.2")], { tags: ["PIPAM-IGNORE"] }),
      guest(3, "in", [nic("eth0", "10.0.0.3")], { tags: ["dns"] }),
      guest(4, "plain", [nic("eth0", "10.0.0.4")]),
    ];
    expect(lines(derive(gs))).toEqual(["in.example.com. A 10.0.0.3", "plain.example.com. A 10.0.0.4"]);
    const optIn = derive(gs, { tags: { ignore: "pipam-ignore", require: "dns" } });
    expect(lines(optIn)).toEqual(["in.example.com. A 10.0.0.3"]);
    expect(optIn.skipped.map((s) => `${s.guest} ${s.reason}`)).toEqual([
      "pve/1 template",
      "pve/2 tagged pipam-ignore (opt-out)",
      "pve/4 not tagged dns (opt-in required)",
    ]);
  });

  test("stopped guests keep the records of their known addresses", () => {
    const r = derive([guest(1, "sleepy", [{ ...nic("net0", "10.0.0.9") }], { status: "stopped" })]);
    expect(lines(r)).toEqual(["sleepy.example.com. A 10.0.0.9"]);
  });

  test("status unknown without a name, or unreadable details without addresses: skipped and held", () => {
    const r = derive([
      guest(1, "", [], { status: "unknown" }),
      guest(2, "noagent", [nic("net0")], { error: "agent not running" }),
      guest(3, "stale", [nic("eth0", "10.0.0.3")], { error: "timeout" }),
    ]);
    expect(r.held).toEqual(["pve/1", "pve/2"]);
    expect(lines(r)).toEqual(["stale.example.com. A 10.0.0.3"]); // last known addresses still used
  });

  test("names: dotted names and invalid names (see NAMES.md)", () => {
    const r = derive([
      guest(1, "vm2.com", [nic("eth0", "10.0.0.1")]),
      guest(2, "app.example.com", [nic("eth0", "10.0.0.2")]),
      guest(3, "My_Box", [nic("eth0", "10.0.0.3")]),
      guest(4, "!!!", [nic("eth0", "10.0.0.4")]),
    ]);
    expect(lines(r)).toEqual([
      "app.example.com. A 10.0.0.2",
      "my-box.example.com. A 10.0.0.3",
      "vm2.example.com. A 10.0.0.1",
    ]);
    expect(r.skipped).toEqual([
      { guest: "pve/4", ip: "10.0.0.4", reason: expect.stringContaining("no valid DNS label") },
    ]);
  });

  test("conflicts: lowest (cluster, vmid) wins, losers get no records, reported", () => {
    const r = derive(
      [
        guest(300, "web", [nic("eth0", "10.0.0.30")]),
        guest(20, "web", [nic("eth0", "10.0.0.20")]),
        guest(21, "clone", [nic("eth0", "10.0.0.20", "10.0.0.21")]),
      ],
      { ptr: true, reverseZones: ["10.in-addr.arpa."] },
    );
    expect(lines(r)).toEqual([
      "20.0.0.10.in-addr.arpa. PTR web.example.com.",
      "21.0.0.10.in-addr.arpa. PTR clone.example.com.",
      "clone.example.com. A 10.0.0.21",
      "web.example.com. A 10.0.0.20",
    ]);
    expect(r.conflicts.map((c) => `${c.kind} ${c.subject} ${c.winner} ${c.losers.join(",")}`)).toEqual([
      "fqdn web.example.com. pve/20 pve/300",
      "ip 10.0.0.20 pve/20 pve/21",
    ]);
  });

  test("PTR v4 and v6 into the most specific existing reverse zone; none → skipped", () => {
    const r = derive([guest(1, "g", [nic("eth0", "10.0.1.5", "10.0.2.5", "2001:db8::5", "10.0.3.5")])], {
      zones: [{ zone: "example.com.", networks: ["10.0.0.0/16", "2001:db8::/32"] }],
      ptr: true,
      reverseZones: ["10.in-addr.arpa.", "1.0.10.in-addr.arpa", "8.B.D.0.1.0.0.2.ip6.arpa."],
    });
    const ptrs = r.rrsets.filter((x) => x.type === "PTR").map((x) => `${x.zone} ${x.name} ${x.records[0]}`);
    expect(ptrs).toEqual([
      "1.0.10.in-addr.arpa. 5.1.0.10.in-addr.arpa. g.example.com.",
      "10.in-addr.arpa. 5.2.0.10.in-addr.arpa. g.example.com.",
      "10.in-addr.arpa. 5.3.0.10.in-addr.arpa. g.example.com.",
      "8.b.d.0.1.0.0.2.ip6.arpa. 5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. g.example.com.",
    ]);
    const noRev = derive([guest(1, "g", [nic("eth0", "10.0.1.5")])], {
      ptr: true,
      reverseZones: ["168.192.in-addr.arpa."],
    });
    expect(lines(noRev)).toEqual(["g.example.com. A 10.0.1.5"]);
    expect(noRev.skipped[0]?.reason).toContain("no reverse zone");
    expect(
      lines(
        derive([guest(1, "g", [nic("eth0", "10.0.1.5")])], {
          ptr: false,
          reverseZones: ["10.in-addr.arpa."],
        }),
      ),
    ).toEqual(["g.example.com. A 10.0.1.5"]);
  });

  test("bad CIDRs in the rules are reported, not thrown; bad addresses skipped", () => {
    const r = derive([guest(1, "g", [nic("eth0", "10.0.0.1", "not-an-ip")])], {
      zones: [{ zone: "example.com.", networks: ["10.0.0.0/16", "10.0.0.0/99"] }],
      skipCidrs: ["nope"],
    });
    expect(lines(r)).toEqual(["g.example.com. A 10.0.0.1"]);
    expect(r.errors).toEqual([
      'mapping example.com.: "10.0.0.0/99" is not a CIDR',
      'skip_cidrs: "nope" is not a CIDR',
    ]);
    expect(r.skipped[0]?.reason).toBe("not an IP address");
  });

  describe("held guests keep their records and their claims (opts.previous)", () => {
    // Last cycle: pve/20 won web (over pve/30), pve/40 had db.
    const before = derive([
      guest(20, "web", [nic("eth0", "10.0.0.20")]),
      guest(30, "web", [nic("eth0", "10.0.0.30")]),
      guest(40, "db", [nic("eth0", "10.0.0.40")]),
    ]);
    const previous = before.rrsets;

    test("status unknown without a name: records kept, the loser does not take the name", () => {
      const r = deriveDns(
        {
          collectedAt: 0,
          complete: true,
          errors: [],
          guests: [
            guest(20, "", [], { status: "unknown" }),
            guest(30, "web", [nic("eth0", "10.0.0.30")]),
            guest(40, "db", [nic("eth0", "10.0.0.40")]),
          ],
        },
        { ...baseRules },
        { previous },
      );
      expect(lines(r)).toEqual(["db.example.com. A 10.0.0.40", "web.example.com. A 10.0.0.20"]);
      expect(r.held).toEqual(["pve/20"]);
      expect(r.conflicts.map((c) => `${c.subject} ${c.winner}`)).toEqual(["web.example.com. pve/20"]);
    });

    test("incomplete inventory: guests of the failed cluster keep their records; complete: they go", () => {
      const inv: Inventory = {
        collectedAt: 0,
        complete: false,
        errors: [{ cluster: "pve", message: "connection refused" }],
        guests: [],
      };
      const r = deriveDns(inv, baseRules, { previous });
      expect(lines(r)).toEqual(["db.example.com. A 10.0.0.40", "web.example.com. A 10.0.0.20"]);
      expect(r.held).toEqual(["pve/20", "pve/40"]);
      // another cluster failed: pve's missing guests are really gone
      const other = deriveDns({ ...inv, errors: [{ cluster: "east", message: "x" }] }, baseRules, {
        previous,
      });
      expect(other.rrsets).toEqual([]);
      expect(deriveDns({ ...inv, complete: true, errors: [] }, baseRules, { previous }).rrsets).toEqual([]);
    });
  });
});
