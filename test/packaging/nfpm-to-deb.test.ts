/** The nfpm.yaml reader of the dpkg-deb fallback, on the project's real nfpm.yaml and on broken ones. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { controlFile, NfpmError, parseNfpm, unownedPaths } from "../../scripts/nfpm-to-deb.ts";

const ROOT = resolve(import.meta.dir, "../..");
const NFPM = readFileSync(join(ROOT, "nfpm.yaml"), "utf8");
const POSTINST = readFileSync(join(ROOT, "packaging/scripts/postinstall.sh"), "utf8");
const ENV = { PIPAM_DEB_ARCH: "arm64", PIPAM_VERSION: "1.2.3", PIPAM_DEB_STAGE: "dist/deb/arm64" };

describe("parseNfpm on the project's nfpm.yaml", () => {
  const spec = parseNfpm(NFPM, ENV, ROOT);

  test("name, version and architecture come from the environment", () => {
    expect([spec.name, spec.version, spec.arch]).toEqual(["pipam", "1.2.3", "arm64"]);
  });

  test("every path the package must install, with type, mode and owner", () => {
    const byDst = Object.fromEntries(
      spec.contents.map((c) => [c.dst, `${c.type} ${c.mode?.toString(8)} ${c.owner}:${c.group}`]),
    );
    expect(byDst["/usr/bin/pipam"]).toBe("file 755 root:root");
    expect(byDst["/etc/pipam/config.toml"]).toBe("config|noreplace 640 root:pipam");
    expect(byDst["/etc/default/pipam"]).toBe("config|noreplace 600 root:root");
    expect(byDst["/etc/pipam/secrets"]).toBe("dir 750 root:pipam");
    expect(byDst["/var/lib/pipam"]).toBe("dir 750 pipam:pipam");
    expect(byDst["/lib/systemd/system/pipam.service"]).toBe("file 644 root:root");
  });

  test("sources resolve against the repo root; expand: true entries take env vars", () => {
    const bin = spec.contents.find((c) => c.dst === "/usr/bin/pipam");
    expect(bin?.src).toBe(join(ROOT, "dist/deb/arm64/pipam"));
    const cfg = spec.contents.find((c) => c.dst === "/etc/pipam/config.toml");
    expect(cfg?.src).toBe(join(ROOT, "packaging/config.toml"));
  });

  test("the four maintainer scripts map to Debian's names", () => {
    expect(Object.keys(spec.scripts).sort()).toEqual(["postinst", "postrm", "preinst", "prerm"]);
    expect(spec.scripts.postinst).toBe(join(ROOT, "packaging/scripts/postinstall.sh"));
  });

  test("the postinstall script sets the owner of every non-root path", () => {
    expect(unownedPaths(spec, POSTINST)).toEqual([]);
  });

  test("a non-root path the postinstall script forgets is reported", () => {
    const forgetful = POSTINST.replace(/.*\/var\/lib\/pipam.*\n/g, "");
    expect(unownedPaths(spec, forgetful)).toEqual(["/var/lib/pipam (pipam:pipam)"]);
  });

  test("control file: fields in Debian format, multi-line description continued with a space", () => {
    const control = controlFile(spec, 110_000);
    expect(control).toStartWith("Package: pipam\nVersion: 1.2.3\n");
    expect(control).toContain("\nArchitecture: arm64\n");
    expect(control).toContain("\nInstalled-Size: 110000\n");
    expect(control).toContain("\nDepends: libc6 (>= 2.17), adduser\n");
    const desc = control.slice(control.indexOf("Description: "));
    const lines = desc.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ \S/);
  });
});

describe("parseNfpm errors name what is wrong and where", () => {
  const err = (text: string, env: Record<string, string> = ENV): string => {
    try {
      parseNfpm(text, env, ROOT);
    } catch (e) {
      expect(e).toBeInstanceOf(NfpmError);
      return (e as Error).message;
    }
    throw new Error("parseNfpm accepted it");
  };

  test("an unset variable is an error (nfpm would silently use an empty string)", () => {
    expect(err(NFPM, { ...ENV, PIPAM_VERSION: "" })).toBe(
      "nfpm.yaml: version: environment variable PIPAM_VERSION is not set",
    );
  });

  test("an unknown architecture", () => {
    expect(err(NFPM, { ...ENV, PIPAM_DEB_ARCH: "vax" })).toBe('nfpm.yaml: arch: unknown architecture "vax"');
  });

  test("a version that is not a Debian version", () => {
    expect(err(NFPM, { ...ENV, PIPAM_VERSION: "v1.0" })).toContain("is not a Debian version");
  });

  test("an unsupported content type, with its index", () => {
    const text =
      "name: x\narch: amd64\nversion: 1\nmaintainer: m\ncontents:\n  - src: a\n    dst: /a\n    type: ghost\n";
    expect(err(text)).toStartWith('nfpm.yaml: contents[0].type: "ghost" is not supported');
  });

  test("a relative destination", () => {
    const text = "name: x\narch: amd64\nversion: 1\nmaintainer: m\ncontents:\n  - src: a\n    dst: usr/a\n";
    expect(err(text)).toBe('nfpm.yaml: contents[0].dst: "usr/a" must be an absolute path');
  });

  test("a path listed twice", () => {
    const text =
      "name: x\narch: amd64\nversion: 1\nmaintainer: m\ncontents:\n  - src: a\n    dst: /a\n  - src: b\n    dst: /a\n";
    expect(err(text)).toBe("nfpm.yaml: contents: /a is listed twice");
  });

  test("mode 0644 is octal, as in nfpm", () => {
    const text =
      "name: x\narch: amd64\nversion: 1\nmaintainer: m\ncontents:\n  - src: a\n    dst: /a\n    file_info: { mode: 0644 }\n";
    expect(parseNfpm(text, {}, ROOT).contents[0]?.mode).toBe(0o644);
  });
});
