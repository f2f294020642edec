/** Entry point compiled by sqlite-storage.test.ts: `self-test-main <db path>` → prints the self-test line. */
import { raftDbSelfTest } from "./self-test.ts";

const path = process.argv[2];
if (!path) {
  console.error("usage: self-test-main <new db path>");
  process.exit(2);
}
try {
  console.log(await raftDbSelfTest(path));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
