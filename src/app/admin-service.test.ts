import { expect, test } from "bun:test";
import { applyDelta, emptyDelta } from "../reconcile/delta.ts";
import { testGuest as g, reconciledOnce } from "../testing/reconciled.ts";
import { guestEntries } from "./admin-service.ts";

test("ListEntries: each guest's DNS and NetBox state from the replicated state", async () => {
  const store = await reconciledOnce([
    g(100, "web", "10.0.0.10"),
    g(101, "db", "10.0.0.11"),
    g(102, "bad", "10.0.0.12"),
    g(103, "outside", "192.168.9.9"),
  ]);
  const by = (filter = "") => new Map(guestEntries(store.state(), filter).map((e) => [e.name, e]));
  let e = by();
  expect([...e.keys()].sort()).toEqual(["bad", "db", "outside", "web"]);
  expect(e.get("web")).toMatchObject({
    key: "pve/100",
    dnsState: "in-sync",
    netboxState: "",
    ips: ["10.0.0.10"],
  });
  expect(e.get("db")!.dnsState).toStartWith("conflict: ");
  expect(e.get("bad")!.dnsState).toBe("rejected: invalid name");
  expect(e.get("outside")!.dnsState).toBe("none"); // no zone covers its address

  // after a NetBox apply that refused one object of db
  const s = store.state();
  applyDelta(s, {
    ...emptyDelta(),
    ipam: { sig: "abc", failed: [{ kind: "ip", name: "10.0.0.11/24", vm: "pve/101", error: "duplicate" }] },
  });
  e = by();
  expect(e.get("db")!.netboxState).toBe("failed: ip 10.0.0.11/24: duplicate");
  expect(e.get("web")!.netboxState).toBe("in-sync");

  expect([...by("WE").keys()]).toEqual(["web"]);
  expect([...by("102").keys()]).toEqual(["bad"]);
  expect(by("nothing").size).toBe(0);
});
