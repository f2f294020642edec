/**
 * Shared helpers for the benchmarks owned by run-all (etcd, cluster, change-latency, footprint):
 * free loopback ports, percentiles, child processes in their own process group (killed on exit,
 * on SIGINT/SIGTERM and by `stopAll()`), the result line run-all parses, and the compiled binary.
 */
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = resolve(ROOT, "dist/pipam");

/** A port nothing listens on right now (127.0.0.1, OS-chosen). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Nearest-rank percentile (p in 0..1) of unsorted numbers; NaN when empty. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
export const median = (xs: readonly number[]) => pct(xs, 0.5);
export const r2 = (x: number) => Math.round(x * 100) / 100;

export interface Child {
  pid: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** SIGKILL the whole process group (kill -9) and wait until it is gone (bounded). */
  kill9(): Promise<void>;
  /** SIGTERM the group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

const children = new Set<Child>();

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Starts `cmd` in a new session (`setsid`, so its pid is its process-group id) with stdout and
 * stderr appended to `logFile`. Every child is killed when this process exits.
 */
export function spawnGroup(cmd: string[], logFile: string, env?: Record<string, string>): Child {
  const out = openSync(logFile, "a");
  const proc = Bun.spawn(["setsid", ...cmd], {
    stdin: "ignore",
    stdout: out,
    stderr: out,
    env: { ...process.env, ...env },
  });
  closeSync(out);
  const pid = proc.pid;
  const waitGone = async (ms: number) => {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline && isAlive(pid)) await Bun.sleep(10);
    return !isAlive(pid);
  };
  const child: Child = {
    pid,
    proc,
    alive: () => isAlive(pid),
    async kill9() {
      signalGroup(pid, "SIGKILL");
      await waitGone(5000);
      children.delete(child);
    },
    async stop(graceMs = 5000) {
      if (isAlive(pid)) {
        signalGroup(pid, "SIGTERM");
        if (!(await waitGone(graceMs))) {
          signalGroup(pid, "SIGKILL");
          await waitGone(5000);
        }
      }
      children.delete(child);
    },
  };
  children.add(child);
  return child;
}

/** Stops every child still running (TERM, then KILL). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(3000)));
}

let hooked = false;
/** Kill children on exit and on SIGINT/SIGTERM (idempotent). */
export function installCleanup(extra?: () => Promise<void>): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const c of children) signalGroup(c.pid, "SIGKILL");
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      void (async () => {
        try {
          await extra?.();
        } finally {
          for (const c of children) signalGroup(c.pid, "SIGKILL");
          process.exit(130);
        }
      })();
    });
  }
}

/** The machine-readable line run-all picks out of a benchmark's output. */
export const RESULT_PREFIX = "BENCH_RESULT ";
export function emitResult(result: Record<string, unknown>): void {
  console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
}

/** Builds dist/pipam when it is missing. */
export async function ensureBinary(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  console.log("dist/pipam missing: bash scripts/build.sh");
  const p = Bun.spawn(["bash", resolve(ROOT, "scripts/build.sh")], { stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error("scripts/build.sh failed");
  return BINARY;
}

/** Polls `fn` every `everyMs` until it returns a value (not undefined) or `timeoutMs` pass. */
export async function until<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 20,
): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    await Bun.sleep(everyMs);
  }
  return undefined;
}

/** VmRSS / VmHWM of a process, MiB (NaN when unreadable). */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? Number.NaN);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

/**
 * `dig` for several names at once: one process, `+noall +answer`; returns name → answers
 * (lowercase names without the trailing dot).
 */
export async function digMany(
  dnsPort: number,
  names: readonly string[],
  type = "A",
): Promise<Map<string, string[]>> {
  const args = [
    "dig",
    "@127.0.0.1",
    "-p",
    String(dnsPort),
    "+norec",
    "+noall",
    "+answer",
    "+time=1",
    "+tries=1",
  ];
  for (const n of names) args.push(n, type);
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "ignore" });
  const [out] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  const m = new Map<string, string[]>();
  for (const line of out.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[3] !== type) continue;
    const name = f[0]!.toLowerCase().replace(/\.$/, "");
    m.set(name, [...(m.get(name) ?? []), f[4]!]);
  }
  return m;
}
