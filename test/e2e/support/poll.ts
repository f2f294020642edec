/** Bounded polling: every loop has a deadline and says what it waited for. */
import type { TestPdns } from "../../../src/testing/pdns.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined; throws after
 * `timeoutMs` naming `what` and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "";
  for (let i = 0; i < 1_000_000; i++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = "";
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 100);
  }
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Polls `dig` until `name type` answers exactly `expected` (sorted); returns the time it took. */
export async function digUntil(
  pdns: TestPdns,
  name: string,
  type: string,
  expected: readonly string[],
  timeoutMs: number,
): Promise<number> {
  const want = [...expected].sort();
  const t0 = Date.now();
  let seen: string[] = [];
  await waitFor(
    `dig ${name} ${type} = ${JSON.stringify(want)}`,
    async () => {
      seen = await pdns.dig(name, type);
      if (JSON.stringify(seen) === JSON.stringify(want)) return true;
      throw new Error(`last answer ${JSON.stringify(seen)}`);
    },
    { timeoutMs, intervalMs: 150 },
  );
  return Date.now() - t0;
}

/** Runs `fn` over `items`, at most `limit` at a time (dig many names without a process storm). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
