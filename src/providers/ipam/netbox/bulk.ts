/**
 * Failure isolation for bulk writes. NetBox runs a bulk request in one transaction, so one bad
 * object refuses the whole request (400, nothing committed). The batch is then split in halves
 * until the bad object is alone; when NetBox answers a list of per-item errors (serializer
 * errors), the bad items are known at once and the rest is sent again in one request.
 */
import { PipamError } from "../../../lib/errors.ts";

/** Runs one bulk write; on a 400 isolates the offending items by bisection. */
export async function bulk<T, R>(
  items: T[],
  run: (batch: T[]) => Promise<R[]>,
  failed: (item: T, error: string) => void,
): Promise<{ item: T; res: R | undefined }[]> {
  const ok: { item: T; res: R | undefined }[] = [];
  async function go(batch: T[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const res = await run(batch);
      batch.forEach((item, i) => {
        ok.push({ item, res: res[i] });
      });
    } catch (e) {
      if (
        !(e instanceof PipamError) ||
        e.transient ||
        !["rejected", "not_found", "conflict"].includes(e.code)
      )
        throw e;
      if (batch.length === 1) {
        failed(batch[0] as T, e.message);
        return;
      }
      const body = e.details.body;
      // DRF answers serializer errors of a bulk call with one dict per item.
      if (Array.isArray(body) && body.length === batch.length) {
        const bad = batch.filter((_, i) => Object.keys((body[i] as object) ?? {}).length > 0);
        if (bad.length > 0 && bad.length < batch.length) {
          for (const item of bad)
            failed(
              item,
              `${e.message.slice(0, e.message.indexOf(":") + 1)} ${JSON.stringify(body[batch.indexOf(item)])}`,
            );
          await go(batch.filter((x) => !bad.includes(x)));
          return;
        }
      }
      const mid = Math.ceil(batch.length / 2);
      await go(batch.slice(0, mid));
      await go(batch.slice(mid));
    }
  }
  await go(items);
  return ok;
}
