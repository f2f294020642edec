/**
 * Running the compiled pipam: one-shot commands with a bounded wait, and the daemon as a handle
 * (its output collected, signals, bounded waits for exit). stdin is /dev/null: never a TTY.
 */
import type { Subprocess } from "bun";
import { waitFor } from "./poll.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/nonexistent",
  NO_COLOR: "1",
});

/** Runs `bin args…` to completion; kills it (and fails) after `timeoutMs`. */
export async function runPipam(
  bin: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const t0 = Date.now();
  const proc = Bun.spawn([bin, ...args], {
    cwd: "/",
    env: { ...baseEnv(), ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (timedOut) throw new Error(`pipam ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stderr}`);
  return { code, stdout, stderr, ms: Date.now() - t0 };
}

export interface Daemon {
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** JSON log lines parsed so far (requires --log-format json). */
  logs(): Record<string, unknown>[];
  /** The status server URL from the "http server listening" log line (waits for it). */
  serverUrl(timeoutMs?: number): Promise<string>;
  signal(sig: "SIGTERM" | "SIGINT" | "SIGKILL"): void;
  /** The exit code, or undefined when it is still running after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<number | undefined>;
  /** kill -9 if still running; always resolves. */
  stop(): Promise<void>;
}

/** Starts a long-running `bin args…` (e.g. `-c cfg --log-format json run`). */
export function spawnPipam(
  bin: string,
  args: readonly string[],
  opts: { env?: Record<string, string> } = {},
): Daemon {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([bin, ...args], {
    cwd: "/",
    env: { ...baseEnv(), ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    const reader = s.getReader();
    for (let i = 0; i < 10_000_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
  };
  const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]).catch(() => {});
  let code: number | undefined;
  const exited = proc.exited.then(async (c) => {
    await pumped;
    code = c;
    return c;
  });
  const logs = () => {
    const out: Record<string, unknown>[] = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    }
    return out;
  };
  const self: Daemon = {
    pid: proc.pid,
    output: () => text,
    logs,
    serverUrl: (timeoutMs = 10_000) =>
      waitFor(
        "pipam's 'http server listening' log line",
        () => {
          if (code !== undefined) throw new Error(`pipam exited with ${code}:\n${text}`);
          const l = logs().find((x) => x.msg === "http server listening");
          return typeof l?.url === "string" ? l.url : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      ),
    signal: (sig) => {
      if (code === undefined) proc.kill(sig);
    },
    waitExit: async (timeoutMs) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        exited,
        new Promise<undefined>((res) => {
          timer = setTimeout(() => res(undefined), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return r;
    },
    stop: async () => {
      if (code === undefined) proc.kill("SIGKILL");
      await self.waitExit(5_000);
    },
  };
  return self;
}
