/** @module The readiness endpoint: runs the checks with a time limit and formats them. */
import type { HealthCheck } from "../lib/health.ts";
import { respond, text } from "./respond.ts";
import { scrubSecrets } from "./view.ts";

async function withTimeout<T>(p: Promise<T> | T, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness checks timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function formatChecks(checks: HealthCheck[]): string {
  return checks
    .map((c) => {
      const hint = !c.ok && c.hint ? ` (hint: ${c.hint})` : "";
      return `${c.ok ? "✓" : "✗"} ${c.name}: ${scrubSecrets(c.detail)}${hint}`;
    })
    .join("\n");
}

/**
 * `/readyz`: 200 when every check passes (and there is at least one), else 503. Without the token
 * only "ready"/"not ready"; with it, one line per check (or JSON with `?format=json`).
 */
export async function readyz(
  req: Request,
  authorised: boolean,
  ready: () => Promise<HealthCheck[]> | HealthCheck[],
  timeoutMs: number,
): Promise<Response> {
  let checks: HealthCheck[];
  try {
    checks = await withTimeout(ready(), timeoutMs);
  } catch (err) {
    checks = [
      { name: "readiness checks", ok: false, detail: err instanceof Error ? err.message : String(err) },
    ];
  }
  const ok = checks.length > 0 && checks.every((c) => c.ok);
  const status = ok ? 200 : 503;
  if (!authorised) return text(ok ? "ready\n" : "not ready\n", status);
  const url = new URL(req.url);
  if (url.searchParams.get("format") === "json" || req.headers.get("accept")?.includes("application/json")) {
    const body = checks.map((c) => ({ ...c, detail: scrubSecrets(c.detail) }));
    return respond(JSON.stringify({ ready: ok, checks: body }), status, {
      "content-type": "application/json",
      "cache-control": "no-store",
    });
  }
  return text(`${ok ? "ready" : "not ready"}\n${formatChecks(checks)}\n`, status);
}
