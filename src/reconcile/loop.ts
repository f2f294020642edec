/**
 * The daemon loop: run one cycle every `intervalMs`, a full reconcile every `fullIntervalMs`
 * (0 = only the first cycle is full), back off with jitter after a failed cycle, stop on abort.
 * Time and randomness are injected; the loop never throws for a failed cycle (it logs and retries).
 */
import { backoffMs, type Clock, type Rand } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../log/logger.ts";

export interface LoopOptions {
  intervalMs: number;
  fullIntervalMs: number;
  /** Cap of the failure backoff. */
  maxBackoffMs?: number;
  clock: Clock;
  rand: Rand;
  logger: Logger;
  /** Runs one cycle; `full` asks for a full reconcile against the providers. Returns true on success. */
  cycle(full: boolean, signal: AbortSignal): Promise<boolean>;
  /** Skip cycles while this says no (cluster followers). Default: always yes. */
  active?: () => boolean;
  /** While inactive, check this often whether the node became active (default 500 ms). */
  inactivePollMs?: number;
  /** Resolves the current wait early (e.g. an admin "reconcile now"). */
  wake?: (fn: (full: boolean) => void) => void;
}

export async function runLoop(opts: LoopOptions, signal: AbortSignal): Promise<void> {
  const { clock, logger } = opts;
  let lastFull = Number.NEGATIVE_INFINITY;
  let failures = 0;
  let forceFull = false;
  let wakeNow: (() => void) | undefined;
  opts.wake?.((full) => {
    forceFull ||= full;
    wakeNow?.();
  });
  while (!signal.aborted) {
    let ok = true;
    const active = opts.active?.() ?? true;
    if (active) {
      const now = clock.now();
      const full =
        forceFull ||
        lastFull === Number.NEGATIVE_INFINITY ||
        (opts.fullIntervalMs > 0 && now - lastFull >= opts.fullIntervalMs);
      forceFull = false;
      try {
        ok = await opts.cycle(full, signal);
      } catch (err) {
        if (signal.aborted) break;
        logger.error("cycle failed", { error: errorMessage(err) });
        ok = false;
      }
      if (ok && full) lastFull = now;
      if (!ok && full) forceFull = true;
    } else {
      // A node that becomes active again must start with a full reconcile.
      lastFull = Number.NEGATIVE_INFINITY;
    }
    failures = ok ? 0 : failures + 1;
    const wait = !active
      ? Math.min(opts.intervalMs, opts.inactivePollMs ?? 500)
      : failures === 0
        ? opts.intervalMs
        : Math.min(opts.intervalMs, backoffMs(failures - 1, 1000, opts.maxBackoffMs ?? 60_000, opts.rand));
    await sleepOrWake(clock, wait, signal, (fn) => {
      wakeNow = fn;
    });
    wakeNow = undefined;
  }
}

async function sleepOrWake(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  register: (fn: () => void) => void,
): Promise<void> {
  const early = new AbortController();
  register(() => early.abort());
  try {
    await clock.sleep(ms, AbortSignal.any([signal, early.signal]));
  } catch {
    // aborted (stop) or woken early: both just end the wait
  }
}
