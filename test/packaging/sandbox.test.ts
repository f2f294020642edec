/**
 * Does the compiled binary work under packaging/pipam.service's restrictions? systemd is not PID 1
 * on the build machine, so `systemd-run -p ...` is impossible; sandbox.ts applies the unit's
 * seccomp filter (SystemCallFilter=, RestrictAddressFamilies=, SystemCallErrorNumber=, native
 * architecture) and no_new_privs, and setpriv drops to an unprivileged user with no capabilities
 * (CapabilityBoundingSet=). Then `pipam run` must start as a one-node Raft cluster against the
 * Proxmox simulator: serve /healthz, become leader, write its SQLite state, collect, stop on SIGTERM.
 * A deliberately broken filter (no @network-io) must make it fail, so the harness is known to bite.
 * Prints start-to-ready time and idle RSS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BUN_SRC = join(ROOT, "node_modules/.bin/bun");
const NOBODY = 65534;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (to drop to an unprivileged user with setpriv)";
  for (const bin of ["setpriv", "systemd-analyze"])
    if (Bun.which(bin) === null) return `${bin} is not installed`;
  const libs = [
    "/usr/lib/x86_64-linux-gnu/libseccomp.so.2",
    "/usr/lib/aarch64-linux-gnu/libseccomp.so.2",
    "/lib/x86_64-linux-gnu/libseccomp.so.2",
  ];
  if (!libs.some(existsSync)) return "libseccomp.so.2 is not installed";
  return undefined;
}
const reason = skipReason();
if (reason) console.warn(`SKIP test/packaging/sandbox.test.ts: ${reason}`);

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function waitForLine(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => rej(new Error(`no output within ${ms} ms: ${out}`)), ms);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) {
        clearTimeout(timer);
        res(out.split("\n")[0]!);
      }
    });
    child.on("exit", (c) => rej(new Error(`exited (${c}) before printing: ${out}`)));
  });
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}

describe.skipIf(reason !== undefined)(
  "the binary under pipam.service's seccomp filter, as an unprivileged user",
  () => {
    const work = mkdtempSync(join(tmpdir(), "pipam-sandbox-test-"));
    let binary = join(ROOT, "dist/pipam");
    // The unprivileged user cannot reach into the checkout when it is private (a CI clone in a
    // 0700 temp dir): everything it runs or reads is copied into the world-readable work dir.
    const BUN = join(work, "bun");
    const SANDBOX = join(work, "sandbox.ts");
    const UNIT = join(work, "pipam.service");
    let sim: ChildProcess | undefined;
    let simInfo: { url: string; tokenId: string; secret: string };
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      chmodSync(work, 0o755);
      copyFileSync(BUN_SRC, BUN);
      chmodSync(BUN, 0o755);
      copyFileSync(join(import.meta.dir, "sandbox.ts"), SANDBOX);
      copyFileSync(join(ROOT, "packaging/pipam.service"), UNIT);
      chmodSync(SANDBOX, 0o644);
      chmodSync(UNIT, 0o644);
      if (existsSync(binary)) {
        copyFileSync(binary, join(work, "pipam"));
        chmodSync(join(work, "pipam"), 0o755);
        binary = join(work, "pipam");
      } else {
        const r = spawnSync("bash", ["scripts/build.sh"], {
          cwd: ROOT,
          env: { ...process.env, PIPAM_DIST: work },
          encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
        binary = join(work, "pipam");
      }
      sim = spawn(BUN_SRC, ["scripts/sim.ts", "--port", "0", "--guests", "20", "--json"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      simInfo = JSON.parse(await waitForLine(sim, 30_000));
    }, 120_000);

    afterAll(() => {
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
      sim?.kill();
      rmSync(work, { recursive: true, force: true });
    });

    async function config(name: string): Promise<{ path: string; port: number; data: string }> {
      const port = await freePort();
      const data = join(work, `${name}-data`);
      mkdirSync(data, { mode: 0o750 });
      chownSync(data, NOBODY, NOBODY);
      const [user, token] = simInfo.tokenId.split("!") as [string, string];
      const path = join(work, `${name}.toml`);
      writeFileSync(
        path,
        `collect_interval = "2s"
[proxmox]
url = "${simInfo.url.replace("127.0.0.1", "localhost")}"  # a name: getaddrinfo under the filter
user = "${user}"
token_id = "${token}"
insecure = true
[dns]
provider = "powerdns"
zones = ["lab.pipam.test."]
owner_id = "sandbox-test"
[dns.powerdns]
url = "http://127.0.0.1:9"
[mapping."lab.pipam.test"]
networks = [{ cidr = "10.0.0.0/8" }]
[server]
listen = "127.0.0.1:${port}"
[raft]
node_id = 1
data_dir = "${data}"
[raft.peers]
1 = "http://127.0.0.1:${port}"
`,
        { mode: 0o644 },
      );
      return { path, port, data };
    }

    function start(unit: string, cfg: string, extra: string[] = []): ChildProcess {
      const child = spawn(
        "setpriv",
        [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          "--clear-groups",
          "--no-new-privs",
          "--bounding-set=-all",
          "--inh-caps=-all",
          BUN,
          SANDBOX,
          "--unit",
          unit,
          ...extra,
          "--",
          binary,
          "run",
          "--config",
          cfg,
        ],
        {
          cwd: work,
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            PIPAM_PROXMOX_TOKEN_UUID: simInfo.secret,
            PIPAM_DNS_POWERDNS_API_KEY: "unused",
            PIPAM_RAFT_SECRET: "sandbox-test-secret",
            PIPAM_LOG_FORMAT: "json",
          },
        },
      );
      children.push(child);
      return child;
    }

    test("pipam run starts, elects itself, writes its state, collects, and stops on SIGTERM", async () => {
      const cfg = await config("ok");
      let log = "";
      const t0 = performance.now();
      const child = start(UNIT, cfg.path);
      child.stdout!.on("data", (d: Buffer) => (log += d));
      child.stderr!.on("data", (d: Buffer) => (log += d));
      let readyMs = -1;
      for (let i = 0; i < 300 && readyMs < 0 && child.exitCode === null; i++) {
        const ok = await fetch(`http://127.0.0.1:${cfg.port}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        if (ok) readyMs = performance.now() - t0;
        else await Bun.sleep(50);
      }
      expect(log).not.toContain("Operation not permitted");
      expect(readyMs).toBeGreaterThan(0);
      // Leader, state on disk (SQLite WAL + fsync under the filter), and a collection done.
      for (let i = 0; i < 200 && !(log.includes('"role":"leader"') && log.includes("collected")); i++)
        await Bun.sleep(50);
      expect(log).toContain('"role":"leader"');
      expect(log).toMatch(/"msg":"collected".*"guests":20/);
      expect(readdirSync(cfg.data).some((f) => f.endsWith(".sqlite"))).toBe(true);
      await Bun.sleep(3000);
      const pid = Number(
        spawnSync("pgrep", ["-P", String(child.pid), "-f", "run --config"], { encoding: "utf8" })
          .stdout.trim()
          .split("\n")[0],
      );
      const rss = pid > 0 ? rssKiB(pid) : 0;
      console.log(
        `sandboxed pipam run: /healthz after ${readyMs.toFixed(0)} ms (incl. the bun wrapper), RSS ${(rss / 1024).toFixed(1)} MiB after ~5 s`,
      );
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
      expect(code).toBe(0);
      expect(log).toContain("pipam stopped");
    }, 60_000);

    test("fault injected: the same filter without @network-io keeps it from starting", async () => {
      const cfg = await config("broken");
      const unit = readFileSync(join(ROOT, "packaging/pipam.service"), "utf8").replace(
        /^SystemCallFilter=~(.*)$/m,
        "SystemCallFilter=~$1 @network-io",
      );
      const unitPath = join(work, "broken.service");
      writeFileSync(unitPath, unit, { mode: 0o644 });
      let log = "";
      const child = start(unitPath, cfg.path);
      child.stdout!.on("data", (d: Buffer) => (log += d));
      child.stderr!.on("data", (d: Buffer) => (log += d));
      let up = false;
      const exited = new Promise<number | null>((res) => child.on("close", (c) => res(c)));
      for (let i = 0; i < 60 && child.exitCode === null && !up; i++) {
        up = await fetch(`http://127.0.0.1:${cfg.port}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        await Bun.sleep(50);
      }
      expect(up).toBe(false);
      console.log(`broken filter: ${log.trim().split("\n").at(-1)}`);
      if (child.exitCode === null) child.kill("SIGKILL");
      const code = await exited;
      expect(code).not.toBe(0);
    }, 60_000);
  },
);
