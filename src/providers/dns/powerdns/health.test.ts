import { expect, test } from "bun:test";
import { silentLogger } from "../../../log/logger.ts";
import { createPdnsClient } from "./client.ts";
import { powerDnsHealth } from "./health.ts";

/** A fake PowerDNS answering the few GETs health makes. */
function fakePdns(defaultRectify: "yes" | "no") {
  const routes: Record<string, unknown> = {
    "": { daemon_type: "authoritative", version: "4.7.3" },
    "/zones": [
      { id: "a.test.", name: "a.test.", kind: "Native" },
      { id: "b.test.", name: "b.test.", kind: "Native" },
      { id: "10.in-addr.arpa.", name: "10.in-addr.arpa.", kind: "Native" },
    ],
    "/config": [{ name: "default-api-rectify", type: "ConfigSetting", value: defaultRectify }],
    "/zones/a.test./metadata": [{ kind: "API-RECTIFY", metadata: ["0"] }],
    "/zones/b.test./metadata": [{ kind: "SOA-EDIT-API", metadata: ["DEFAULT"] }],
    "/zones/10.in-addr.arpa./metadata": [],
  };
  return (async (input: RequestInfo | URL) => {
    const path = decodeURIComponent(String(input).replace("http://p/api/v1/servers/localhost", ""));
    const body = routes[path];
    return body === undefined ? new Response("Not Found", { status: 404 }) : Response.json(body);
  }) as typeof fetch;
}

const run = (rectify: "yes" | "no", zones: string[], reverseZones?: string[]) =>
  powerDnsHealth(
    createPdnsClient({ url: "http://p", apiKey: "k", logger: silentLogger, fetch: fakePdns(rectify) }),
    { zones, reverseZones },
    AbortSignal.timeout(1000),
  );

test("zones whose PATCHes would rectify the whole zone are pointed out", async () => {
  const checks = await run("yes", ["a.test.", "b.test."], ["10.in-addr.arpa."]);
  expect(checks.every((c) => c.ok)).toBe(true);
  const detail = (n: string) => checks.find((c) => c.name.endsWith(n))?.detail ?? "";
  expect(detail(" a.test.")).not.toContain("api-rectify");
  expect(detail(" b.test.")).toContain("api-rectify is on");
  expect(detail(" 10.in-addr.arpa.")).toContain("api-rectify is on");
  const off = await run("no", ["b.test."], []);
  expect(off.find((c) => c.name.endsWith("b.test."))?.detail).not.toContain("api-rectify");
});

test("version in the first check; missing zones fail; reverse zones are discovered", async () => {
  const checks = await run("no", ["a.test.", "c.test."]);
  expect(checks[0]).toMatchObject({ name: "powerdns reachable", ok: true });
  expect(checks[0]?.detail).toContain("4.7.3");
  expect(checks.find((c) => c.name === "powerdns zone c.test.")).toMatchObject({ ok: false });
  expect(checks.find((c) => c.name === "powerdns reverse zones")).toMatchObject({
    ok: true,
    detail: "found 10.in-addr.arpa.",
  });
});
