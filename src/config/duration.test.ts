import { describe, expect, test } from "bun:test";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  test("numbers use the key's legacy unit", () => {
    expect(parseDuration(30, 1000)).toEqual({ ok: true, ms: 30_000 });
    expect(parseDuration(100, 1)).toEqual({ ok: true, ms: 100 });
    expect(parseDuration(0, 1000)).toEqual({ ok: true, ms: 0 });
    expect(parseDuration(1.5, 1000)).toEqual({ ok: true, ms: 1500 });
  });
  test("strings with units, also combined", () => {
    const cases: [string, number][] = [
      ["30s", 30_000],
      ["250ms", 250],
      ["5m", 300_000],
      ["1h", 3_600_000],
      ["1d", 86_400_000],
      ["1m30s", 90_000],
      ["1.5h", 5_400_000],
      [" 2s ", 2000],
    ];
    for (const [s, ms] of cases) expect(parseDuration(s, 1000)).toEqual({ ok: true, ms });
  });
  test("bad input says what is wrong", () => {
    const bad: [unknown, RegExp][] = [
      ["30", /no unit: write e.g. "30s"/],
      ["", /empty/],
      ["30 seconds", /invalid duration/],
      ["s", /invalid duration/],
      ["10x", /invalid duration/],
      [-1, /non-negative/],
      [true, /expected a duration/],
      [[1], /expected a duration/],
    ];
    for (const [v, re] of bad) {
      const r = parseDuration(v, 1000);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
  });
});
