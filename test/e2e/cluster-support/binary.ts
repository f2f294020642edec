/**
 * The compiled pipam binary for the cluster tests: dist/pipam when it is newer than every file
 * under src/; otherwise a private build (scripts/build.sh with PIPAM_DIST) in the temp dir, so a
 * test never overwrites the shared dist/pipam while someone else runs it.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");

function newestMtime(dir: string): number {
  let newest = 0;
  const stack = [dir];
  for (let guard = 0; stack.length > 0 && guard < 100_000; guard++) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

const fresh = (bin: string, srcTime: number) => existsSync(bin) && statSync(bin).mtimeMs >= srcTime;

/** Path of an up-to-date binary; builds one (≈10–30 s) when needed. */
export async function pipamBinary(): Promise<string> {
  if (process.env.PIPAM_E2E_BIN) return process.env.PIPAM_E2E_BIN;
  const srcTime = Math.max(newestMtime(join(ROOT, "src")), statSync(join(ROOT, "package.json")).mtimeMs);
  const shared = join(ROOT, "dist/pipam");
  if (fresh(shared, srcTime)) return shared;
  const dist = join(tmpdir(), `pipam-e2e-bin-${process.getuid?.() ?? 0}`);
  const own = join(dist, "pipam");
  if (fresh(own, srcTime)) return own;
  const proc = Bun.spawn(["bash", join(ROOT, "scripts/build.sh")], {
    cwd: ROOT,
    env: { ...process.env, PIPAM_DIST: dist },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`scripts/build.sh failed (${code}):\n${out}\n${err}`);
  return own;
}
