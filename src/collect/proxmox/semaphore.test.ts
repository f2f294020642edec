import { expect, test } from "bun:test";
import { createSemaphore } from "./semaphore.ts";

test("limits holders, FIFO, abort while waiting frees the place", async () => {
  const s = createSemaphore(2);
  const never = new AbortController().signal;
  const r1 = await s.acquire(never);
  const r2 = await s.acquire(never);
  const order: string[] = [];
  const ac = new AbortController();
  const waitingAborted = s.acquire(ac.signal).then(() => order.push("aborted one got in"));
  const third = s.acquire(never).then((r) => {
    order.push("third");
    return r;
  });
  expect(s.waiting).toBe(2);
  ac.abort(new Error("gone"));
  await expect(waitingAborted).rejects.toThrow("gone");
  expect(s.waiting).toBe(1);
  r1();
  r1(); // releasing twice is harmless
  const r3 = await third;
  expect(order).toEqual(["third"]);
  expect(s.active).toBe(2);
  r2();
  r3();
  expect(s.active).toBe(0);
  expect(() => createSemaphore(0)).toThrow("≥ 1");
});
