import { describe, expect, test } from "bun:test";
import type { RRset } from "../../../state/model.ts";
import {
  type ApiZone,
  blamedEntry,
  chunkEntries,
  deleteEntry,
  OWNER_COMMENT,
  parseZone,
  patchBody,
  replaceEntry,
  serializeEntry,
} from "./convert.ts";

describe("parseZone", () => {
  const zone: ApiZone = {
    id: "lab.example.",
    name: "Lab.Example.",
    rrsets: [
      { name: "lab.example.", type: "SOA", ttl: 3600, records: [{ content: "a. b. 1 2 3 4 5" }] },
      {
        name: "WEB1.lab.example.",
        type: "A",
        ttl: 300,
        records: [{ content: "10.0.0.2" }, { content: "10.0.0.1" }, { content: "10.0.0.3", disabled: true }],
        comments: [
          { content: "vm 42", account: "netbox-sync" },
          { content: OWNER_COMMENT, account: "pipam-a", modified_at: 1 },
        ],
      },
      { name: "web1.lab.example.", type: "aaaa", ttl: 300, records: [{ content: "2001:0DB8:0000::0001" }] },
      { name: "hand.lab.example.", type: "PTR", ttl: 60, records: [{ content: "X.Example." }] },
      {
        name: "ghost.lab.example.",
        type: "A",
        ttl: 0,
        records: [],
        comments: [{ content: OWNER_COMMENT, account: "pipam-a" }],
      },
      { name: "www.lab.example.", type: "CNAME", ttl: 300, records: [{ content: "web1.lab.example." }] },
    ],
  };

  test("keeps A/AAAA/PTR, normalises, reads the owner from the marker comment only", () => {
    expect(parseZone(zone)).toEqual([
      { zone: "lab.example.", name: "hand.lab.example.", type: "PTR", ttl: 60, records: ["x.example."] },
      {
        zone: "lab.example.",
        name: "web1.lab.example.",
        type: "A",
        ttl: 300,
        records: ["10.0.0.1", "10.0.0.2"],
        owner: "pipam-a",
      },
      { zone: "lab.example.", name: "web1.lab.example.", type: "AAAA", ttl: 300, records: ["2001:db8::1"] },
    ]);
  });

  test("a comment with another content or no account is not an ownership marker", () => {
    const z: ApiZone = {
      id: "z.",
      name: "z.",
      rrsets: [
        {
          name: "a.z.",
          type: "A",
          ttl: 1,
          records: [{ content: "10.0.0.1" }],
          comments: [{ content: "managed by pipam!", account: "x" }],
        },
        {
          name: "b.z.",
          type: "A",
          ttl: 1,
          records: [{ content: "10.0.0.1" }],
          comments: [{ content: OWNER_COMMENT, account: "" }],
        },
      ],
    };
    expect(parseZone(z).map((r) => r.owner)).toEqual([undefined, undefined]);
  });
});

describe("PATCH entries", () => {
  const rr: RRset = { zone: "z.", name: "a.z.", type: "A", ttl: 60, records: ["10.0.0.1"] };
  test("REPLACE carries records and the marker comment; DELETE only name and type", () => {
    expect(replaceEntry(rr, "me")).toEqual({
      name: "a.z.",
      type: "A",
      changetype: "REPLACE",
      ttl: 60,
      records: [{ content: "10.0.0.1", disabled: false }],
      comments: [{ content: OWNER_COMMENT, account: "me" }],
    });
    expect(deleteEntry(rr)).toEqual({ name: "a.z.", type: "A", changetype: "DELETE" });
  });

  test("chunks stay under the byte limit and keep order", () => {
    const items = Array.from({ length: 100 }, (_, i) =>
      serializeEntry(replaceEntry({ ...rr, name: `h${i}.z.` }, "me")),
    );
    for (const limit of [500, 1000, 4096, 1_000_000]) {
      const chunks = chunkEntries(items, limit);
      expect(chunks.flat()).toEqual(items);
      for (const c of chunks) expect(Buffer.byteLength(patchBody(c))).toBeLessThanOrEqual(limit);
      // as few as possible: merging any two neighbours would exceed the limit
      for (let i = 1; i < chunks.length; i++) {
        expect(Buffer.byteLength(patchBody([...chunks[i - 1]!, chunks[i]![0]!]))).toBeGreaterThan(limit);
      }
    }
    expect(chunkEntries(items, 1_000_000)).toHaveLength(1);
    expect(chunkEntries(items, 10)).toHaveLength(100); // each alone when even one is too big
    expect(JSON.parse(patchBody(items.slice(0, 2)))).toEqual({ rrsets: [items[0]!.entry, items[1]!.entry] });
  });

  test("blamedEntry finds the rrset a 4.7 error message names, and only an exact one", () => {
    const items = ["a.z.", "ba.z.", "5.0.10.in-addr.arpa."].flatMap((name) =>
      (["A", "AAAA", "PTR"] as const).map((type) => ({
        entry: { name, type, changetype: "DELETE" as const },
      })),
    );
    const pick = (m: string) => {
      const e = blamedEntry(items, m)?.entry;
      return e && `${e.name} ${e.type}`;
    };
    expect(pick("RRset a.z. IN A: Conflicts with pre-existing RRset")).toBe("a.z. A");
    expect(pick("RRset ba.z. IN AAAA: Conflicts with pre-existing RRset")).toBe("ba.z. AAAA");
    expect(pick("Record 5.0.10.in-addr.arpa./PTR 'bad name.': When parsing PTR trailing data")).toBe(
      "5.0.10.in-addr.arpa. PTR",
    );
    expect(pick("Name 'bad\\032one.z.' contains unsupported characters")).toBeUndefined();
  });
});
