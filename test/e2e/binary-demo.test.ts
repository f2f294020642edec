/**
 * Smoke test of the README's demo (scripts/demo.sh) with the compiled binary: it starts a
 * throwaway PowerDNS, the simulator with churn and `dist/pipam run`, prints the dig answers,
 * stops after DEMO_SECONDS and cleans up after itself (exit 0, PowerDNS gone).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, sharedPipamBinary } from "./support/binary.ts";

let pgid: number | undefined;

afterAll(() => {
  // only if the demo outlived its bound: its whole process group (it runs under setsid)
  if (pgid !== undefined) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** Live processes in session `sid` (field 6 of /proc/PID/stat; the demo runs under setsid). */
function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const rest = readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      if (rest[0] !== "Z" && Number(rest[3]) === sid) out.push(Number(d));
    } catch {}
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "?";
  }
}

/** The line after the echoed command `$ … marker …` (the demo echoes each command, then its answer). */
function answerAfter(out: string, marker: string): string | undefined {
  const lines = out.split("\n");
  const i = lines.findIndex((l) => l.startsWith("$ dig") && l.includes(marker));
  return i < 0 ? undefined : lines[i + 1]?.trim();
}

describe("scripts/demo.sh", () => {
  test("runs to the end, shows web-0001's address and the hand-made printer record, cleans up", async () => {
    await sharedPipamBinary(); // the demo runs dist/pipam
    const t0 = Date.now();
    const proc = Bun.spawn(["setsid", "bash", "scripts/demo.sh"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DEMO_SKIP_INSTALL: "1",
        DEMO_SKIP_BUILD: "1",
        DEMO_SECONDS: "8",
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    pgid = proc.pid; // setsid execs in place (bun's child is not a group leader)
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {}
    }, 50_000);
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    pgid = undefined;
    const all = `exit ${code}\n--- stdout\n${out}\n--- stderr\n${err.slice(-4000)}`;
    expect(timedOut, all).toBe(false);
    expect(code, all).toBe(0);
    expect(out, all).toContain("=== pipam demo ===");
    expect(answerAfter(out, "+short web-0001.demo.pipam.test A"), all).toMatch(/^(\d{1,3}\.){3}\d{1,3}$/);
    expect(answerAfter(out, "+short printer.demo.pipam.test A"), all).toBe("10.9.9.9");
    expect(out + err, all).toContain("demo stopped");
    // the throwaway PowerDNS is gone (scripts/pdns.sh stop removes its dir; the PID is in pdns.vars)
    const vars = readFileSync(join(ROOT, ".pipam-demo/pdns.vars"), "utf8");
    const pdnsPid = Number(/^PDNS_PID=(\d+)/m.exec(vars)?.[1]);
    expect(pdnsPid, all).toBeGreaterThan(0);
    // (processes may take a moment to exit after the script returns: bounded wait)
    const leftover = async () => {
      for (let i = 0; i < 50; i++) {
        const left = [...(alive(pdnsPid) ? [pdnsPid] : []), ...sessionMembers(proc.pid)];
        if (left.length === 0) return [];
        await Bun.sleep(100);
      }
      return [...new Set([...(alive(pdnsPid) ? [pdnsPid] : []), ...sessionMembers(proc.pid)])].map(
        (pid) => `${pid}: ${cmdline(pid)}`,
      );
    };
    expect(await leftover(), all).toEqual([]);
    expect(existsSync(join(ROOT, ".pipam-demo/pdns")), all).toBe(false);
    console.log(`demo: ${Date.now() - t0} ms wall`);
  }, 60_000);
});
