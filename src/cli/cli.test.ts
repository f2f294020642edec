/** The CLI as a user runs it: `bun src/main.ts ...` in a child process. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };

const root = resolve(import.meta.dir, "../..");
const main = join(root, "src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "pipam-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `
[proxmox]
url = "https://127.0.0.1:1"
user = "root"
token_id = "pipam"
token_uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
`;
const goodPath = join(dir, "good.toml");
writeFileSync(goodPath, GOOD);
const badPath = join(dir, "bad.toml");
writeFileSync(badPath, `${GOOD}insecur = true\n`);

export async function pipam(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, main, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("help", () => {
  test("--help lists every subcommand and the exit codes", async () => {
    const r = await pipam(["--help"]);
    expect(r.code).toBe(0);
    for (const c of [
      "run",
      "output",
      "reconcile",
      "clean",
      "health",
      "status",
      "entries",
      "conflicts",
      "member",
      "move-leader",
      "version",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    }
    expect(r.stdout).toContain("--config <path>");
    expect(r.stdout).toContain("--log-format <format>");
    expect(r.stdout).toContain("--log-level <level>");
    expect(r.stdout).toContain("Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.");
  });

  test("`pipam help <command>` works like --help; a bare `pipam` shows help and exits 2", async () => {
    const [h, hc, bare] = await Promise.all([pipam(["help"]), pipam(["help", "output"]), pipam([])]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Usage: pipam");
    expect(hc.code).toBe(0);
    expect(hc.stdout).toContain("Usage: pipam output");
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Usage: pipam");
  });

  test("every subcommand has --help with examples and its options", async () => {
    const expected: Record<string, string[]> = {
      run: ["--once", "--dry-run"],
      output: ["--json"],
      reconcile: ["--dry-run", "--json"],
      clean: ["--collect", "--dry-run", "--yes"],
      health: ["--json"],
      status: ["--json"],
      version: ["--json"],
    };
    const results = await Promise.all(Object.keys(expected).map((c) => pipam([c, "--help"])));
    Object.entries(expected).forEach(([c, opts], i) => {
      const r = results[i];
      expect(r?.code).toBe(0);
      expect(r?.stdout).toContain(`Usage: pipam ${c}`);
      expect(r?.stdout).toContain("Examples:");
      for (const o of opts) expect(r?.stdout).toContain(o);
    });
  });
});

describe("version", () => {
  test("version and --version print the package version in dev", async () => {
    const [a, b, j] = await Promise.all([
      pipam(["version"]),
      pipam(["--version"]),
      pipam(["version", "--json"]),
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toStartWith(`pipam ${pkg.version}-dev (commit unknown, bun ${Bun.version}`);
    expect(b.stdout).toBe(a.stdout);
    expect(JSON.parse(j.stdout)).toMatchObject({ version: `${pkg.version}-dev`, commit: "unknown" });
  });
});

describe("exit codes", () => {
  test("2 on an unknown option, an unknown command, a bad choice, a stray argument, no command", async () => {
    const runs = await Promise.all([
      pipam(["--bogus"]),
      pipam(["frobnicate"]),
      pipam(["--log-level", "loud", "version"]),
      pipam(["output", "extra"]),
      pipam([]),
    ]);
    for (const r of runs) expect(r.code).toBe(2);
    expect(runs[0]?.stderr).toContain("unknown option '--bogus'");
    expect(runs[1]?.stderr).toContain("unknown command 'frobnicate'");
    expect(runs[2]?.stderr).toContain("Allowed choices are debug, info, warning, error");
  });

  test("2 on a missing or invalid config, naming file, line and key", async () => {
    const missing = await pipam(["-c", join(dir, "nope.toml"), "output"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read config file ${join(dir, "nope.toml")}: no such file`);
    const bad = await pipam(["--config", badPath, "health"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${badPath}:7: proxmox.insecur: unknown key — did you mean "insecure"?`);
  });

  test("2 on a bad PIPAM_LOG_LEVEL", async () => {
    const r = await pipam(["-c", goodPath, "run"], { PIPAM_LOG_LEVEL: "loud" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PIPAM_LOG_LEVEL="loud"');
  });

  test("status needs the admin token (exit 2) and reports an unreachable daemon (exit 1)", async () => {
    const noToken = await pipam(["-c", goodPath, "status", "--json", "--server", "http://127.0.0.1:1"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("admin_token_file");
    const r = await pipam(["-c", goodPath, "status", "--json", "--server", "http://127.0.0.1:1"], {
      PIPAM_RAFT_ADMIN_TOKEN: "t0ken",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot get status at http://127.0.0.1:1");
  });

  test("entries and conflicts: token required (2), unreachable daemon (1)", async () => {
    const server = ["--server", "http://127.0.0.1:1"];
    for (const cmd of [
      ["entries", "web"],
      ["conflicts", "--json"],
    ]) {
      const noToken = await pipam(["-c", goodPath, ...cmd, ...server]);
      expect([noToken.code, noToken.stderr]).toEqual([
        2,
        expect.stringContaining(`pipam ${cmd[0]} needs the admin token`),
      ]);
      const r = await pipam(["-c", goodPath, ...cmd, ...server], { PIPAM_RAFT_ADMIN_TOKEN: "t0ken" });
      expect([r.code, r.stderr]).toEqual([
        1,
        expect.stringContaining(`cannot list ${cmd[0]} at http://127.0.0.1:1`),
      ]);
    }
  });

  test("member and move-leader: token required (2), bad ids and URLs (2), unreachable node (1)", async () => {
    const server = ["--server", "http://127.0.0.1:1"];
    const noToken = await pipam(["-c", goodPath, "member", "remove", "2", ...server]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("pipam member remove needs the admin token");
    const token = { PIPAM_RAFT_ADMIN_TOKEN: "t0ken" };
    const bad = await Promise.all([
      pipam(["-c", goodPath, "member", "add", "x", "http://10.0.0.4:9180", ...server], token),
      pipam(["-c", goodPath, "member", "add", "4", "10.0.0.4:9180", ...server], token),
      pipam(["-c", goodPath, "member", "add", "4", "http://10.0.0.4:9180/raft", ...server], token),
      pipam(
        ["-c", goodPath, "member", "add", "4", "http://10.0.0.4:9180", "--wait", "soon", ...server],
        token,
      ),
      pipam(["-c", goodPath, "move-leader", "-1", ...server], token),
    ]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(bad[0]!.stderr).toContain('expected a node id (a positive integer), got "x"');
    expect(bad[1]!.stderr).toContain("expected the node's URL, e.g. http://10.0.0.14:9180");
    expect(bad[2]!.stderr).toContain("no path, query or user");
    expect(bad[3]!.stderr).toContain('invalid duration "soon"');
    const down = await pipam(["-c", goodPath, "move-leader", "2", ...server], token);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot get status at http://127.0.0.1:1");
  });

  test("the config is found through $PIPAM_CONFIG and $XDG_CONFIG_HOME", async () => {
    const viaEnv = await pipam(["status"], { PIPAM_CONFIG: badPath });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain(badPath);
    const xdg = join(dir, "xdg");
    await Bun.write(join(xdg, "pipam", "config.toml"), `${GOOD}colect_interval = 1\n`);
    const viaXdg = await pipam(["status"], { XDG_CONFIG_HOME: xdg });
    expect(viaXdg.code).toBe(2);
    expect(viaXdg.stderr).toContain(join(xdg, "pipam", "config.toml"));
  });
});
