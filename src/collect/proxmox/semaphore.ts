/**
 * A small FIFO semaphore: at most `limit` holders; waiting respects an AbortSignal.
 * One abort listener per signal (not per waiter): EventTarget.addEventListener is linear in the
 * number of listeners, and a cycle queues thousands of calls on one signal.
 */
export interface Semaphore {
  acquire(signal: AbortSignal): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  signal: AbortSignal;
  grant: () => void;
  reject: (reason: unknown) => void;
  gone: boolean;
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`semaphore limit must be ≥ 1, got ${limit}`);
  let active = 0;
  let queue: Waiter[] = [];
  let head = 0;
  let waiting = 0;
  const watched = new Map<AbortSignal, Set<Waiter>>();

  const forget = (w: Waiter) => {
    const set = watched.get(w.signal);
    set?.delete(w);
    if (set && set.size === 0) {
      watched.delete(w.signal);
      w.signal.removeEventListener("abort", onAbort);
    }
  };
  function onAbort(this: AbortSignal) {
    const set = watched.get(this);
    watched.delete(this);
    this.removeEventListener("abort", onAbort);
    for (const w of set ?? []) {
      w.gone = true;
      waiting--;
      w.reject(this.reason);
    }
  }
  const release = () => {
    active--;
    while (active < limit && head < queue.length) {
      const w = queue[head++]!;
      if (w.gone) continue;
      w.gone = true;
      waiting--;
      forget(w);
      active++;
      w.grant();
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
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
      return waiting;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (active < limit) {
        active++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const w: Waiter = { signal, grant: () => resolve(releaser()), reject, gone: false };
        let set = watched.get(signal);
        if (!set) {
          set = new Set();
          watched.set(signal, set);
          signal.addEventListener("abort", onAbort);
        }
        set.add(w);
        queue.push(w);
        waiting++;
      });
    },
  };
}
