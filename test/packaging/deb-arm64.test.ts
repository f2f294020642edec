/**
 * ARCH=arm64: the binary is cross-compiled offline with the aarch64 Bun runtime from npm
 * (@oven/bun-linux-aarch64 at the host Bun's version) and packaged as pipam_<version>_arm64.deb.
 * Does not install anything. Runs the packaged binary under qemu when qemu-aarch64-static and an
 * aarch64 libc (Debian's libc6-arm64-cross) are present.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const EM_AARCH64 = 183;

const reason = ["dpkg-deb", "npm", "tar"].find((b) => Bun.which(b) === null);
if (reason) console.warn(`SKIP test/packaging/deb-arm64.test.ts: ${reason} is not installed`);

describe.skipIf(reason !== undefined)("ARCH=arm64 scripts/package-deb.sh", () => {
  const dist = mkdtempSync(join(tmpdir(), "pipam-deb-arm64-test-"));
  const deb = join(dist, `pipam_${VERSION}_arm64.deb`);
  const extracted = join(dist, "pipam");
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  test("builds pipam_<version>_arm64.deb holding an aarch64 pipam", () => {
    const r = spawnSync("bash", ["scripts/package-deb.sh"], {
      cwd: ROOT,
      env: { ...process.env, ARCH: "arm64", PIPAM_DIST: dist, PIPAM_DEB_COMPRESSION: "gzip" },
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(r.stderr).not.toContain("error");
    expect(r.status).toBe(0);
    const field = (f: string) => spawnSync("dpkg-deb", ["-f", deb, f], { encoding: "utf8" }).stdout.trim();
    expect([field("Package"), field("Version"), field("Architecture")]).toEqual(["pipam", VERSION, "arm64"]);
    const x = spawnSync("sh", [
      "-c",
      `dpkg-deb --fsys-tarfile '${deb}' | tar -xOf - ./usr/bin/pipam > '${extracted}'`,
    ]);
    expect(x.status).toBe(0);
    const elf = readFileSync(extracted).subarray(0, 20);
    expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(elf.readUInt16LE(18)).toBe(EM_AARCH64);
    // Not stripped: the app is appended to the aarch64 runtime, so the file is bigger than the runtime.
    const bunVersion = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["--version"], {
      encoding: "utf8",
    }).stdout.trim();
    const runtime = join(ROOT, `dist/.bun-arm64-${bunVersion}/bun`);
    expect(statSync(extracted).size).toBeGreaterThan(statSync(runtime).size);
  }, 600_000);

  const qemu = Bun.which("qemu-aarch64-static");
  const sysroot = "/usr/aarch64-linux-gnu";
  test.skipIf(qemu === null || !existsSync(join(sysroot, "lib/ld-linux-aarch64.so.1")))(
    "the packaged arm64 binary runs under qemu: pipam --version",
    () => {
      spawnSync("chmod", ["+x", extracted]);
      const r = spawnSync(qemu!, ["-L", sysroot, extracted, "--version"], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^pipam ${VERSION.replaceAll(".", "\\.")} .*linux/arm64`));
    },
    60_000,
  );
});
