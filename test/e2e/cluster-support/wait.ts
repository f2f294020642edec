/** Bounded polling for the e2e tests: every loop has a deadline and says what it waited for. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `probe` every `intervalMs` until it returns a value other than undefined; throws after
 * `timeoutMs` with `what` and the last value/error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (let i = 0; i < 100_000; i++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 100);
  }
  const detail = last instanceof Error ? last.message : last === undefined ? "" : String(last);
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ""}`);
}
