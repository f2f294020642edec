/** A small FIFO semaphore: at most `limit` holders; waiting respects an AbortSignal. */
export interface Semaphore {
  acquire(signal: AbortSignal): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`semaphore limit must be ≥ 1, got ${limit}`);
  let active = 0;
  const queue: Array<{ grant: () => void; signal: AbortSignal; onAbort: () => void }> = [];
  const release = () => {
    active--;
    while (queue.length > 0 && active < limit) {
      const next = queue.shift()!;
      next.signal.removeEventListener("abort", next.onAbort);
      active++;
      next.grant();
    }
  };
  const releaser = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (active < limit) {
        active++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const entry = {
          signal,
          grant: () => resolve(releaser()),
          onAbort: () => {
            const i = queue.indexOf(entry);
            if (i >= 0) queue.splice(i, 1);
            reject(signal.reason);
          },
        };
        signal.addEventListener("abort", entry.onAbort, { once: true });
        queue.push(entry);
      });
    },
  };
}
