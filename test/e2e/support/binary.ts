/**
 * The compiled pipam for the binary e2e tests. `pipamBinary()` returns dist/pipam when it is newer
 * than every source file; otherwise a private build in the temp dir, renamed into place atomically
 * so that a binary another test is running is never overwritten. `sharedPipamBinary()` refreshes
 * dist/pipam itself the same way (the demo runs dist/pipam).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../../..");

function newestSource(): number {
  let newest = statSync(join(ROOT, "package.json")).mtimeMs;
  const stack = [join(ROOT, "src")];
  for (let guard = 0; stack.length > 0 && guard < 100_000; guard++) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && !e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

const fresh = (bin: string) => existsSync(bin) && statSync(bin).mtimeMs >= newestSource();

/** Builds into a scratch dir next to `target`, then renames over it (atomic on one filesystem). */
async function buildInto(target: string): Promise<void> {
  const scratch = `${target}.build-${process.pid}-${Date.now()}`;
  mkdirSync(scratch, { recursive: true });
  try {
    const proc = Bun.spawn(["bash", join(ROOT, "scripts/build.sh")], {
      cwd: ROOT,
      env: { ...process.env, PIPAM_DIST: scratch },
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`scripts/build.sh failed (${code}):\n${out}\n${err}`);
    renameSync(join(scratch, "pipam"), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** An up-to-date compiled pipam (dist/pipam or a private build); builds when needed. */
export async function pipamBinary(): Promise<string> {
  if (process.env.PIPAM_E2E_BIN) return process.env.PIPAM_E2E_BIN;
  const shared = join(ROOT, "dist/pipam");
  if (fresh(shared)) return shared;
  const dir = join(tmpdir(), `pipam-e2e-binary-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const own = join(dir, "pipam");
  if (!fresh(own)) await buildInto(own);
  return own;
}

/** dist/pipam, rebuilt (atomically) when older than the sources. */
export async function sharedPipamBinary(): Promise<string> {
  const shared = join(ROOT, "dist/pipam");
  if (!fresh(shared)) await buildInto(shared);
  return shared;
}
