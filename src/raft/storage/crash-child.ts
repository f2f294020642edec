/**
 * Child process for the kill -9 test: appends batches of 1 KiB entries (sometimes overwriting the
 * tail with a higher term) as fast as it can, printing "ok <last> <term> <commit>" after each
 * durable persist. Usage: bun crash-child.ts <db path>
 */
import { openSqliteStorage } from "./sqlite-storage.ts";

export function payload(index: number, term: number): Uint8Array {
  const b = new Uint8Array(1024);
  const v = new DataView(b.buffer);
  v.setUint32(0, index);
  v.setUint32(4, term);
  b.fill((index * 7 + term) % 251, 8);
  return b;
}

if (import.meta.main) {
  const s = openSqliteStorage(process.argv[2]!);
  if (s.isEmpty()) s.bootstrap({ voters: [1], learners: [] });
  let term = 1;
  let x = 12345;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  for (let round = 0; round < 1_000_000; round++) {
    let from = s.lastIndex() + 1;
    if (round % 17 === 16 && from > 5) {
      term++;
      from -= 1 + rnd(3);
    }
    const n = 1 + rnd(64);
    const entries = [];
    for (let i = from; i < from + n; i++)
      entries.push({ index: i, term, type: "normal" as const, data: payload(i, term) });
    const last = from + n - 1;
    const commit = Math.max(0, from - 1);
    s.persist({ entries, hardState: { term, vote: 1, commit } });
    process.stdout.write(`ok ${last} ${term} ${commit}\n`);
  }
}
