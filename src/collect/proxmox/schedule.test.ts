import { expect, test } from "bun:test";
import type { ResourceEntry } from "./parse-resources.ts";
import { detailReason, nextDetailsAt, spread } from "./schedule.ts";

const e: ResourceEntry = {
  vmid: 100,
  type: "qemu",
  node: "pve1",
  status: "running",
  name: "a",
  template: false,
  tags: ["x"],
  uptime: 500,
};

test("what makes a guest be re-read", () => {
  const k = { entry: e, nextAt: 10_000 };
  expect(detailReason(undefined, e, 0)).toBe("new");
  expect(detailReason(k, { ...e, uptime: 530 }, 5_000)).toBe("none");
  expect(detailReason(k, { ...e, uptime: 10 }, 5_000)).toBe("rebooted");
  expect(detailReason(k, { ...e, node: "pve2" }, 5_000)).toBe("changed");
  expect(detailReason(k, { ...e, status: "stopped" }, 5_000)).toBe("changed");
  expect(detailReason(k, { ...e, tags: ["x", "y"] }, 5_000)).toBe("changed");
  expect(detailReason(k, { ...e, name: "b" }, 5_000)).toBe("changed");
  expect(detailReason(k, e, 10_000)).toBe("due");
});

test("slow refresh spread over 50–100% of the interval; retries sooner", () => {
  const at = Array.from({ length: 1000 }, (_, i) =>
    nextDetailsAt(0, true, { refreshMs: 600_000, retryMs: 60_000 }, "c", i),
  );
  expect(Math.min(...at)).toBeGreaterThanOrEqual(300_000);
  expect(Math.max(...at)).toBeLessThanOrEqual(600_000);
  expect(Math.max(...at) - Math.min(...at)).toBeGreaterThan(250_000);
  expect(nextDetailsAt(0, false, { refreshMs: 600_000, retryMs: 60_000 }, "c", 1)).toBe(60_000);
  expect(spread("c", 1)).toBe(spread("c", 1));
});
