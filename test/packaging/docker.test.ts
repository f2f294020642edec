/**
 * The Dockerfile and examples/basic-docker, checked without a Docker engine (none runs here):
 * - the Dockerfile is parsed; its stages, user, copies and entry points are what we expect;
 * - the build context is assembled as `docker build` would (.dockerignore applied) and the build
 *   stage's RUN steps run in it as a script (`npm ci` is replaced by linking the existing
 *   node_modules: same lockfile, no registry here); the runtime stage's RUN runs with the commands
 *   that would change this machine (apt-get, groupadd, useradd, install) stubbed and logged;
 *   the sim stage's entry point starts from the assembled context with the compose arguments;
 * - the compose file is parsed and checked: services, build targets, files, secrets, env, ports;
 *   each node's config passes pipam's own config checker and agrees with the compose services.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { checkConfig } from "../../src/config/index.ts";

const ROOT = resolve(import.meta.dir, "../..");
const EXAMPLE = join(ROOT, "examples/basic-docker");

// ---------------------------------------------------------------- Dockerfile parsing

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  steps: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const joined = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ");
  const stages: Stage[] = [];
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === "FROM") {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: f![1]!, name: f![2] ?? String(stages.length), steps: [] });
    } else stages.at(-1)?.steps.push({ op, args });
  }
  return stages;
}

const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const stages = parseDockerfile(DOCKERFILE);
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`Dockerfile has no stage "${name}"`);
  return s;
};
const jsonArgs = (s: Stage, op: string): string[] =>
  JSON.parse(s.steps.find((i) => i.op === op)?.args ?? "null") as string[];

/** `COPY [--flags] src... dst` → { flags, srcs, dst }. */
function copyArgs(args: string): { flags: string[]; srcs: string[]; dst: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const rest = words.filter((w) => !w.startsWith("--"));
  return { flags, srcs: rest.slice(0, -1), dst: rest.at(-1)! };
}

// ---------------------------------------------------------------- .dockerignore

const IGNORE = readFileSync(join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

/** Docker's rule: a path is excluded if it or one of its parent dirs matches a pattern. */
function ignored(path: string): boolean {
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (IGNORE.some((p) => new Bun.Glob(p).match(prefix))) return true;
  }
  return false;
}

function contextFiles(): string[] {
  const r = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return r.stdout
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(ROOT, f)))
    .filter((f) => !ignored(f));
}

// ---------------------------------------------------------------- the tests

describe("Dockerfile", () => {
  test("multi-stage: build (node) → sim → runtime (debian:bookworm-slim), runtime is the default target", () => {
    expect(stages.map((s) => `${s.name}<${s.from}`)).toEqual([
      "build<node:22-bookworm-slim",
      "sim<build",
      "runtime<debian:bookworm-slim",
    ]);
  });

  test("the runtime image runs pipam as a non-root user with the packaged config and a state volume", () => {
    const rt = stage("runtime");
    const users = rt.steps.filter((i) => i.op === "USER").map((i) => i.args);
    expect(users.at(-1)).toBe("pipam:pipam");
    expect(jsonArgs(rt, "ENTRYPOINT")).toEqual(["/usr/bin/pipam"]);
    expect(jsonArgs(rt, "CMD")).toEqual(["run", "--config", "/etc/pipam/config.toml"]);
    expect(jsonArgs(rt, "VOLUME")).toEqual(["/var/lib/pipam"]);
    const copies = rt.steps.filter((i) => i.op === "COPY").map((i) => copyArgs(i.args));
    expect(copies).toContainEqual({
      flags: ["--from=build", "--chmod=0755"],
      srcs: ["/src/dist/pipam"],
      dst: "/usr/bin/pipam",
    });
    expect(
      copies.some((c) => c.srcs[0] === "packaging/config.toml" && c.dst === "/etc/pipam/config.toml"),
    ).toBe(true);
    expect(DOCKERFILE).not.toMatch(/\bstrip\s+[^t]/); // never strip the binary
  });

  test(".dockerignore keeps secrets, node_modules and build output out of the context, but not the sources", () => {
    for (const p of [
      ".git/config",
      "node_modules/bun/package.json",
      "dist/pipam",
      "examples/basic-docker/secrets/raft-secret",
    ])
      expect([p, ignored(p)]).toEqual([p, true]);
    for (const p of [
      "src/main.ts",
      "scripts/build.sh",
      "package-lock.json",
      "packaging/config.toml",
      "web/templates",
    ])
      expect([p, ignored(p)]).toEqual([p, false]);
    for (const s of stages)
      for (const c of s.steps.filter((i) => i.op === "COPY").map((i) => copyArgs(i.args)))
        if (!c.flags.some((f) => f.startsWith("--from=")))
          for (const src of c.srcs.filter((x) => x !== "."))
            expect([src, existsSync(join(ROOT, src)) && !ignored(src)]).toEqual([src, true]);
  });

  describe("steps run as a script", () => {
    const work = mkdtempSync(join(tmpdir(), "pipam-docker-test-"));
    const ctx = join(work, "src"); // the build stage's WORKDIR /src
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    test("build stage: COPY the context (.dockerignore applied), npm ci (linked), RUN build → a working binary", () => {
      const build = stage("build");
      expect(build.steps.find((i) => i.op === "WORKDIR")?.args).toBe("/src");
      const runs = build.steps.filter((i) => i.op === "RUN").map((i) => i.args);
      expect(runs[0]).toBe("npm ci --no-audit --no-fund");
      for (const f of contextFiles()) {
        mkdirSync(dirname(join(ctx, f)), { recursive: true });
        cpSync(join(ROOT, f), join(ctx, f));
      }
      expect(existsSync(join(ctx, "examples/basic-docker/secrets"))).toBe(false);
      symlinkSync(join(ROOT, "node_modules"), join(ctx, "node_modules"));
      const args = Object.fromEntries(
        build.steps.filter((i) => i.op === "ARG").map((i) => i.args.split("=") as [string, string]),
      );
      for (const cmd of runs.slice(1)) {
        const r = spawnSync("bash", ["-euo", "pipefail", "-c", cmd], {
          cwd: ctx,
          env: { ...process.env, ...args },
          encoding: "utf8",
          timeout: 300_000,
        });
        expect(r.stderr).not.toContain("error:");
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^pipam /m);
      }
      expect(existsSync(join(ctx, "dist/pipam"))).toBe(true); // what runtime COPY --from=build takes
    }, 300_000);

    test("runtime stage: RUN creates the pipam system user and the directories (commands stubbed)", () => {
      const stubs = join(work, "stubs");
      const log = join(work, "calls.log");
      mkdirSync(stubs);
      for (const cmd of ["apt-get", "groupadd", "useradd", "install", "rm"]) {
        writeFileSync(join(stubs, cmd), `#!/bin/sh\necho "${cmd} $*" >> '${log}'\n`);
        chmodSync(join(stubs, cmd), 0o755);
      }
      const runs = stage("runtime").steps.filter((i) => i.op === "RUN");
      expect(runs.length).toBe(1);
      // -f: no globbing, so the log shows the command as written (rm -rf /var/lib/apt/lists/*).
      const r = spawnSync("sh", ["-f", "-c", runs[0]!.args], {
        cwd: work,
        env: { PATH: `${stubs}:/usr/bin:/bin` },
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
        "apt-get update",
        "apt-get install -y --no-install-recommends ca-certificates",
        "rm -rf /var/lib/apt/lists/*",
        "groupadd --system pipam",
        "useradd --system --gid pipam --home-dir /var/lib/pipam --no-create-home --shell /usr/sbin/nologin --comment pipam daemon pipam",
        "install -d -m 0755 -o root -g root /etc/pipam",
        "install -d -m 0750 -o root -g pipam /etc/pipam/secrets",
        "install -d -m 0750 -o pipam -g pipam /var/lib/pipam",
      ]);
    });

    test("sim stage: its entry point starts the simulator from the context with the compose arguments", async () => {
      const entry = jsonArgs(stage("sim"), "ENTRYPOINT");
      const compose = loadCompose();
      const command = (compose.services["pve-sim"]?.command ?? []).map(interpolate);
      // Same arguments, but on a free loopback port (parseArgs: the last --port/--host wins).
      const child = spawn(
        entry[0]!,
        [...entry.slice(1), ...command, "--host", "127.0.0.1", "--port", "0", "--json"],
        {
          cwd: existsSync(join(ctx, "scripts/sim.ts")) ? ctx : ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      try {
        const line = await new Promise<string>((res, rej) => {
          let out = "";
          const timer = setTimeout(() => rej(new Error(`simulator did not start: ${out}`)), 30_000);
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) {
              clearTimeout(timer);
              res(out.split("\n")[0]!);
            }
          });
          child.on("exit", (code) => rej(new Error(`simulator exited (${code}): ${out}`)));
        });
        const info = JSON.parse(line) as { url: string; tokenId: string; secret: string };
        expect(info.tokenId).toBe("root@pam!pipam");
        expect(info.secret).toBe(dotEnv().PVE_TOKEN_SECRET!);
        expect(info.url).toStartWith("https://127.0.0.1:");
      } finally {
        child.kill();
      }
    }, 60_000);
  });
});

// ---------------------------------------------------------------- compose

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  user?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

function loadCompose(): Compose {
  return parseYaml(readFileSync(join(EXAMPLE, "docker-compose.yaml"), "utf8"), { merge: true }) as Compose;
}

function dotEnv(): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(EXAMPLE, ".env"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/** Compose's `${VAR:?msg}` / `${VAR}` interpolation from .env; an unset variable fails. */
function interpolate(s: string): string {
  const env = dotEnv();
  return s.replace(/\$\{([A-Z_][A-Z0-9_]*)(:\?[^}]*)?\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === "") throw new Error(`compose: ${name} is not set in .env`);
    return v;
  });
}

describe("examples/basic-docker/docker-compose.yaml", () => {
  const compose = loadCompose();
  const nodes = ["pipam1", "pipam2", "pipam3"];

  test("services: three pipam nodes, PowerDNS and the Proxmox simulator", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["pdns", "pipam1", "pipam2", "pipam3", "pve-sim"]);
  });

  test("images are built from this repo's Dockerfile, at stages that exist", () => {
    const names = stages.map((s) => s.name);
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.build) continue;
      expect([name, existsSync(join(resolve(EXAMPLE, svc.build.context), svc.build.dockerfile))]).toEqual([
        name,
        true,
      ]);
      expect(names).toContain(svc.build.target);
    }
    for (const n of nodes) expect(compose.services[n]?.build?.target).toBe("runtime");
    expect(compose.services["pve-sim"]?.build?.target).toBe("sim");
  });

  test("every bind-mounted file, secret file and named volume exists or is declared", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const [src] = v.split(":");
        if (src!.startsWith("."))
          expect([name, src, existsSync(join(EXAMPLE, src!))]).toEqual([name, src, true]);
        else expect(Object.keys(compose.volumes)).toContain(src!);
      }
      for (const s of svc.secrets ?? [])
        expect(existsSync(join(EXAMPLE, compose.secrets[s]!.file))).toBe(true);
    }
  });

  test("every variable the file uses is set in .env; host ports are unique and on loopback", () => {
    const text = readFileSync(join(EXAMPLE, "docker-compose.yaml"), "utf8");
    for (const m of text.matchAll(/\$\{[^}]+\}/g)) expect(() => interpolate(m[0])).not.toThrow();
    const hostPorts = Object.values(compose.services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.replace(/\/(tcp|udp)$/, "") + (p.endsWith("/udp") ? "/udp" : "")),
    );
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    for (const p of hostPorts) expect(p).toStartWith("127.0.0.1:");
  });

  test("each node's config passes pipam's config checker and agrees with the compose services", () => {
    const env = dotEnv();
    const sim = compose.services["pve-sim"]!;
    const simPort = jsonArgs(stage("sim"), "ENTRYPOINT").at(-1);
    const pdnsPort = /webserver-port=(\d+)/.exec(readFileSync(join(EXAMPLE, "pdns.conf"), "utf8"))?.[1];
    const texts: string[] = [];
    nodes.forEach((n, i) => {
      const svc = compose.services[n]!;
      const mount = svc.volumes!.find((v) => v.endsWith(":/etc/pipam/config.toml:ro"))!;
      const file = join(EXAMPLE, mount.split(":")[0]!);
      const text = readFileSync(file, "utf8");
      texts.push(text);
      const secretFiles = Object.fromEntries(
        (svc.secrets ?? []).map((s) => [
          `/run/secrets/${s}`,
          readFileSync(join(EXAMPLE, compose.secrets[s]!.file), "utf8"),
        ]),
      );
      const svcEnv = Object.fromEntries(
        Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
      );
      const r = checkConfig(text, file, svcEnv, {
        readFile: (p: string) => {
          const v = secretFiles[p];
          if (v === undefined) throw Object.assign(new Error(`no ${p}`), { code: "ENOENT" });
          return v;
        },
        modeOf: () => 0o640,
      });
      if (!r.ok) throw new Error(`${file}: ${JSON.stringify(r.issues)}`);
      const c = r.config;
      expect(c.raft.nodeId).toBe(i + 1);
      // Peers are the compose services, on the port the containers listen on.
      const listenPort = c.server.listen.split(":").at(-1);
      expect(c.raft.peers).toEqual(
        Object.fromEntries(nodes.map((m, j) => [j + 1, `http://${m}:${listenPort}`])),
      );
      for (const m of nodes)
        expect(compose.services[m]?.ports?.some((p) => p.endsWith(`:${listenPort}`))).toBe(true);
      expect(c.raft.secret).toBe(secretFiles["/run/secrets/raft-secret"]!.trim());
      expect(c.raft.dataDir).toBe("/var/lib/pipam");
      expect(svc.volumes).toContain(`${n}-data:/var/lib/pipam`);
      // Proxmox is the simulator service with its token; PowerDNS is the pdns service.
      const pve = c.proxmox[0]!;
      expect(new URL(pve.url).host).toBe(`pve-sim:${simPort}`);
      expect(sim.command).toContain(pve.tokenId);
      expect(pve.secret).toBe(env.PVE_TOKEN_SECRET!);
      expect(new URL(c.dns!.powerdns!.url).host).toBe(`pdns:${pdnsPort}`);
      expect(c.dns!.powerdns!.apiKey).toBe(env.PDNS_API_KEY!);
      expect(svc.depends_on?.pdns?.condition).toBe("service_healthy");
    });
    // The three files differ only in node_id (and the comment naming the node).
    const norm = (t: string) => t.replace(/^node_id = \d+$/m, "").replace(/^# pipam node \d+/m, "");
    expect(new Set(texts.map(norm)).size).toBe(1);
  });
});
