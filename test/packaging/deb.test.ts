/**
 * The .deb, end to end, on this machine: build it from nfpm.yaml, lint it, install it with dpkg,
 * check every path, the user, the unit, upgrade it with a modified config, purge it.
 *
 * It installs into the real system (needs root and dpkg; CI runs as root), so it refuses to run
 * when a pipam package is already installed, and purges whatever it installed in afterAll.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const UPGRADE_VERSION = `${VERSION}+test2`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Run {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: ROOT,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const has = (bin: string) => Bun.which(bin) !== null;

function packageStatus(): string {
  if (!has("dpkg-query")) return "";
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not JavaScript
  return run(["dpkg-query", "-W", "-f", "${Status}", "pipam"]).stdout.trim();
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (it installs the package into this system)";
  for (const bin of ["dpkg", "dpkg-deb", "dpkg-query", "lintian", "systemd-analyze"])
    if (!has(bin)) return `${bin} is not installed`;
  const status = packageStatus();
  if (status !== "" && !status.endsWith("not-installed"))
    return `a pipam package is already on this machine (${status}); purge it first`;
  if (existsSync("/etc/pipam") || existsSync("/var/lib/pipam"))
    return "/etc/pipam or /var/lib/pipam exists without a package; remove it first";
  return undefined;
}

const reason = skipReason();
if (reason) console.warn(`SKIP test/packaging/deb.test.ts: ${reason}`);

/** Like existsSync, but true for a dangling symlink too. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function mode(path: string): string {
  const st = lstatSync(path);
  return (st.mode & 0o7777).toString(8).padStart(4, "0");
}

function owner(path: string): string {
  const st = statSync(path);
  const name = (db: "passwd" | "group", id: number) => run(["getent", db, String(id)]).stdout.split(":")[0];
  return `${name("passwd", st.uid)}:${name("group", st.gid)}`;
}

describe.skipIf(reason !== undefined)("pipam .deb on this machine (installs, then purges)", () => {
  const dist = mkdtempSync(join(tmpdir(), "pipam-deb-test-"));
  const deb = join(dist, `pipam_${VERSION}_amd64.deb`);
  const deb2 = join(dist, `pipam_${UPGRADE_VERSION}_amd64.deb`);
  const buildEnv = { PIPAM_DIST: dist, PIPAM_DEB_COMPRESSION: "gzip", ARCH: "amd64" };
  let installed = false;

  afterAll(() => {
    const status = packageStatus();
    if (installed || (status !== "" && !status.endsWith("not-installed"))) run(["dpkg", "--purge", "pipam"]);
    rmSync(dist, { recursive: true, force: true });
  }, 60_000);

  test("scripts/package-deb.sh builds pipam_<version>_amd64.deb from nfpm.yaml", () => {
    const r = run(["bash", "scripts/package-deb.sh"], buildEnv, 600_000);
    expect(r.stderr + r.stdout).toContain(`pipam_${VERSION}_amd64.deb`);
    expect(r.code).toBe(0);
    const field = (f: string) => run(["dpkg-deb", "-f", deb, f]).stdout.trim();
    expect(field("Package")).toBe("pipam");
    expect(field("Version")).toBe(VERSION);
    expect(field("Architecture")).toBe("amd64");
    expect(field("Depends")).toContain("adduser");
    const listing = run(["dpkg-deb", "-c", deb]).stdout;
    for (const p of [
      "./usr/bin/pipam",
      "./etc/pipam/config.toml",
      "./etc/pipam/secrets/",
      "./etc/default/pipam",
      "./var/lib/pipam/",
      "./lib/systemd/system/pipam.service",
      "./usr/share/doc/pipam/copyright",
    ])
      expect(listing).toContain(p);
    const info = run(["dpkg-deb", "-I", deb]).stdout;
    for (const s of ["preinst", "postinst", "prerm", "postrm", "conffiles", "md5sums"])
      expect(info).toContain(s);
    const conffiles = run(["sh", "-c", `dpkg-deb --ctrl-tarfile '${deb}' | tar -xOf - ./conffiles`]).stdout;
    expect(conffiles.trim().split("\n").sort()).toEqual(["/etc/default/pipam", "/etc/pipam/config.toml"]);
  }, 600_000);

  test("lintian reports no errors and no warnings (kept tags are justified in packaging/lintian-overrides)", () => {
    const r = run(["lintian", "--fail-on", "error,warning", deb], {}, 300_000);
    const tags = r.stdout.split("\n").filter((l) => /^[EW]: /.test(l));
    expect(tags).toEqual([]);
    expect(r.code).toBe(0);
  }, 300_000);

  test("dpkg -i installs it and creates the pipam system user and group", () => {
    const r = run(["dpkg", "-i", deb]);
    installed = true;
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(packageStatus()).toBe("install ok installed");
    const pw = run(["getent", "passwd", "pipam"]).stdout.trim().split(":");
    expect(pw[0]).toBe("pipam");
    expect(Number(pw[2])).toBeLessThan(1000); // a system account
    expect(pw[5]).toBe("/var/lib/pipam");
    expect(pw[6]).toBe("/usr/sbin/nologin");
    expect(run(["getent", "group", "pipam"]).stdout.startsWith("pipam:")).toBe(true);
  }, 60_000);

  test("every installed path has the right mode and owner", () => {
    const expected: [string, string, string][] = [
      ["/usr/bin/pipam", "0755", "root:root"],
      ["/etc/pipam", "0755", "root:root"],
      ["/etc/pipam/config.toml", "0640", "root:pipam"],
      ["/etc/pipam/secrets", "0750", "root:pipam"],
      ["/etc/default/pipam", "0600", "root:root"],
      ["/var/lib/pipam", "0750", "pipam:pipam"],
      ["/lib/systemd/system/pipam.service", "0644", "root:root"],
      ["/usr/share/man/man1/pipam.1.gz", "0644", "root:root"],
      ["/usr/share/doc/pipam/copyright", "0644", "root:root"],
    ];
    const actual = expected.map(([p]) => [
      p,
      existsSync(p) ? mode(p) : "missing",
      existsSync(p) ? owner(p) : "",
    ]);
    expect(actual).toEqual(expected);
    // The installed config is the example shipped in packaging/.
    expect(readFileSync("/etc/pipam/config.toml", "utf8")).toBe(
      readFileSync(join(ROOT, "packaging/config.toml"), "utf8"),
    );
  }, 60_000);

  test("/usr/bin/pipam --version runs the installed binary", () => {
    const r = run(["/usr/bin/pipam", "--version"], {}, 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pipam /);
    expect(r.stdout).toContain(VERSION);
  }, 60_000);

  test("the unit is enabled (multi-user.target) but not started on first install", () => {
    const link = "/etc/systemd/system/multi-user.target.wants/pipam.service";
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("/lib/systemd/system/pipam.service");
    // Nothing is running: no pipam process was started by the maintainer scripts.
    expect(run(["pgrep", "-u", "pipam"]).stdout.trim()).toBe("");
  }, 60_000);

  test("systemd-analyze verify accepts the unit and security scores it ≤ 2.0", () => {
    const v = run(["systemd-analyze", "verify", "/lib/systemd/system/pipam.service"]);
    expect(v.stderr.trim()).toBe("");
    expect(v.code).toBe(0);
    const s = run(["systemd-analyze", "security", "--offline=yes", "/lib/systemd/system/pipam.service"]);
    const m = /Overall exposure level for pipam\.service: ([0-9.]+)/.exec(s.stdout);
    expect(m).not.toBeNull();
    const score = Number(m![1]);
    console.log(`systemd-analyze security: exposure ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
  }, 60_000);

  test("an upgrade keeps a modified /etc/pipam/config.toml, the state and the owners", () => {
    const marker = `# changed by the admin ${Date.now()}\n`;
    appendFileSync("/etc/pipam/config.toml", marker);
    const modified = readFileSync("/etc/pipam/config.toml", "utf8");
    expect(
      run(["setpriv", "--reuid=pipam", "--regid=pipam", "--clear-groups", "touch", "/var/lib/pipam/state"])
        .code,
    ).toBe(0);

    const b = run(["bash", "scripts/package-deb.sh"], {
      ...buildEnv,
      PIPAM_VERSION: UPGRADE_VERSION,
      PIPAM_SKIP_BUILD: "1",
    });
    expect(b.code).toBe(0);
    const r = run(["dpkg", "-i", deb2]); // stdin is /dev/null: a conffile prompt would fail this
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not JavaScript
    expect(run(["dpkg-query", "-W", "-f", "${Version}", "pipam"]).stdout).toBe(UPGRADE_VERSION);
    expect(readFileSync("/etc/pipam/config.toml", "utf8")).toBe(modified);
    expect(existsSync("/var/lib/pipam/state")).toBe(true);
    expect([mode("/var/lib/pipam"), owner("/var/lib/pipam")]).toEqual(["0750", "pipam:pipam"]);
    expect([mode("/etc/pipam/secrets"), owner("/etc/pipam/secrets")]).toEqual(["0750", "root:pipam"]);
    expect([mode("/etc/pipam/config.toml"), owner("/etc/pipam/config.toml")]).toEqual(["0640", "root:pipam"]);
    expect(lstatSync("/etc/systemd/system/multi-user.target.wants/pipam.service").isSymbolicLink()).toBe(
      true,
    );
  }, 600_000);

  test("dpkg --purge removes it all: files, config, state, user, group, overrides, unit links", () => {
    const r = run(["dpkg", "--purge", "pipam"]);
    expect(r.code).toBe(0);
    installed = false;
    const left = [
      "/usr/bin/pipam",
      "/etc/pipam",
      "/etc/default/pipam",
      "/var/lib/pipam",
      "/lib/systemd/system/pipam.service",
      "/usr/share/doc/pipam",
      "/usr/share/lintian/overrides/pipam",
      "/etc/systemd/system/multi-user.target.wants/pipam.service",
      "/var/lib/systemd/deb-systemd-helper-enabled/pipam.service.dsh-also",
      "/var/lib/systemd/deb-systemd-helper-masked/pipam.service",
    ].filter(exists);
    expect(left).toEqual([]);
    expect(run(["getent", "passwd", "pipam"]).code).not.toBe(0);
    expect(run(["getent", "group", "pipam"]).code).not.toBe(0);
    expect(run(["dpkg-statoverride", "--list"]).stdout).not.toContain("pipam");
    expect(packageStatus()).not.toContain("installed ok");
    expect(["", "unknown ok not-installed"]).toContain(packageStatus());
  }, 60_000);
});
