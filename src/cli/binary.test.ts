/**
 * The compiled binary (scripts/build.sh → dist/pipam): help and version work without sources.
 * Rebuilds only when dist/pipam is missing or older than a source file, so the full suite
 * (which builds first) does not build twice.
 */
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Glob } from "bun";
import pkg from "../../package.json" with { type: "json" };

const root = resolve(import.meta.dir, "../..");
const bin = join(root, "dist", "pipam");

function needsBuild(): boolean {
  let built: number;
  try {
    built = statSync(bin).mtimeMs;
  } catch {
    return true;
  }
  for (const f of new Glob("src/**/*.ts").scanSync({ cwd: root })) {
    if (!f.endsWith(".test.ts") && statSync(join(root, f)).mtimeMs > built) return true;
  }
  return statSync(join(root, "package.json")).mtimeMs > built;
}

async function run(cmd: string[], cwd = root) {
  const p = Bun.spawn(cmd, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

describe("compiled binary", () => {
  test(
    "builds, prints help and its build-time version",
    async () => {
      if (needsBuild()) {
        const b = await run(["bash", "scripts/build.sh"]);
        expect(b.stderr + b.stdout).toContain("build: dist/pipam");
        expect(b.code).toBe(0);
      }
      // run from / so nothing can be read from the source tree
      const help = await run([bin, "--help"], "/");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: pipam");
      expect(help.stdout).toContain("output [options]");
      const sub = await run([bin, "health", "--help"], "/");
      expect(sub.code).toBe(0);
      expect(sub.stdout).toContain("Usage: pipam health");
      const v = await run([bin, "version"], "/");
      expect(v.code).toBe(0);
      // --define'd at build: the plain package version (no "-dev") and a real commit
      expect(v.stdout).toMatch(
        new RegExp(`^pipam ${pkg.version.replaceAll(".", "\\.")} \\(commit [0-9a-f]{4,}`),
      );
      const bad = await run([bin, "--nope"], "/");
      expect(bad.code).toBe(2);
      const cfg = await run([bin, "-c", "/nonexistent.toml", "output"], "/");
      expect(cfg.code).toBe(2);
      expect(cfg.stderr).toContain("cannot read config file /nonexistent.toml");
    },
    { timeout: 120_000 },
  );
});
