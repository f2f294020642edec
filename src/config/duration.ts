/**
 * Durations in the config: a bare number in the key's legacy unit (seconds for most keys,
 * milliseconds for `raft.tick_interval`), or a string of one or more `<number><unit>` parts,
 * unit one of ms, s, m, h, d — e.g. "30s", "1m30s", "250ms", "1.5h".
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

export function parseDuration(value: unknown, numberUnitMs: number): DurationResult {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return { ok: false, error: "must be a non-negative duration" };
    return { ok: true, ms: Math.round(value * numberUnitMs) };
  }
  if (typeof value !== "string") {
    return { ok: false, error: `expected a duration like "30s" (or a number), got ${describe(value)}` };
  }
  const s = value.trim();
  if (s === "") return { ok: false, error: 'empty duration: write e.g. "30s"' };
  if (/^\d+(\.\d+)?$/.test(s)) {
    return { ok: false, error: `duration "${value}" has no unit: write e.g. "${s}s" or "${s}ms"` };
  }
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) {
      return {
        ok: false,
        error: `invalid duration "${value}": use parts like 250ms, 30s, 5m, 1h, 1d (e.g. "1m30s")`,
      };
    }
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  return { ok: true, ms: Math.round(total) };
}

/** Short type description for error messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a table";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
