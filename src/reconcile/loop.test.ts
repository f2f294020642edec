import { describe, expect, test } from "bun:test";
import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../log/logger.ts";
import { runLoop } from "./loop.ts";

/** A clock whose sleep advances virtual time instantly and records the waits. */
function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  const clock: Clock = {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      waits.push(ms);
      t += ms;
      await Promise.resolve();
    },
  };
  return { clock, waits };
}

describe("runLoop", () => {
  test("first cycle is full, then full every fullIntervalMs", async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    const kinds: boolean[] = [];
    await runLoop(
      {
        intervalMs: 30_000,
        fullIntervalMs: 90_000,
        clock,
        rand: () => 0.5,
        logger: silentLogger,
        cycle: async (full) => {
          kinds.push(full);
          if (kinds.length === 7) ac.abort();
          return true;
        },
      },
      ac.signal,
    );
    expect(kinds).toEqual([true, false, false, true, false, false, true]);
  });

  test("failed cycles back off, retry the full reconcile, and recover", async () => {
    const { clock, waits } = fakeClock();
    const ac = new AbortController();
    const kinds: boolean[] = [];
    const results = [false, false, true, true];
    await runLoop(
      {
        intervalMs: 30_000,
        fullIntervalMs: 0,
        clock,
        rand: () => 0.5,
        logger: silentLogger,
        cycle: async (full) => {
          kinds.push(full);
          const ok = results[kinds.length - 1] ?? true;
          if (kinds.length === results.length) ac.abort();
          if (!ok) throw new Error("powerdns down");
          return ok;
        },
      },
      ac.signal,
    );
    // the first full cycle failed twice: it is retried as full until it succeeds
    expect(kinds).toEqual([true, true, true, false]);
    expect(waits[0]).toBeLessThan(30_000);
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBe(30_000);
  });

  test("inactive node runs no cycle and starts with a full one when active again", async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    const kinds: boolean[] = [];
    let tick = 0;
    const activity = [true, true, false, false, true, true];
    await runLoop(
      {
        intervalMs: 1000,
        fullIntervalMs: 0,
        clock,
        rand: () => 0.5,
        logger: silentLogger,
        active: () => {
          const a = activity[tick++] ?? false;
          if (tick >= activity.length) ac.abort();
          return a;
        },
        cycle: async (full) => {
          kinds.push(full);
          return true;
        },
      },
      ac.signal,
    );
    expect(kinds).toEqual([true, false, true, false]);
  });
});
