import { expect, test } from "bun:test";
import { createMetrics } from "./metrics.ts";
import { parsePrometheusText } from "./prom-text.ts";

test("NaN values render as NaN (prom-client writes Nan) and parse", async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.raftTerm.set(Number.NaN);
  m.guests.set({ cluster: "a Nan" }, 1);
  const { body } = await m.render();
  expect(body).toContain("pipam_raft_term NaN\n");
  expect(body).toContain('pipam_guests{cluster="a Nan"} 1\n');
  const r = parsePrometheusText(body);
  if (r.error !== undefined) throw new Error(r.error);
  expect(Number.isNaN(r.families.get("pipam_raft_term")!.samples[0]!.value)).toBe(true);
});

test("each createMetrics() has its own registry (no global state between instances)", async () => {
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.errors.inc({ provider: "powerdns", stage: "apply" });
  expect((await a.render()).body).toContain('pipam_errors_total{provider="powerdns",stage="apply"} 1');
  expect((await b.render()).body).not.toContain('provider="powerdns"');
});
